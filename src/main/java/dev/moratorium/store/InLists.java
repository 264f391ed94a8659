package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.Panache;
import java.util.Collection;
import org.hibernate.query.SelectionQuery;

/**
 * Queries with an {@code in :ids} list, bound with {@code setParameterList}. Bound with
 * {@code setParameter} instead (as Panache's {@code find("x in ?1", ids)} does), Hibernate first
 * tries to read the collection as one value of the column's type and answers that by creating and
 * catching an exception, stack trace included: three per write transaction, so one batch of one
 * event paid for three (JFR allocation profile of bench/latency, BENCHMARKS.md).
 */
public final class InLists {

    private InLists() {
    }

    /** {@code hql} selects {@code type} and names the list {@code :ids}; runs in the current transaction. */
    public static <T> SelectionQuery<T> select(String hql, Class<T> type, Collection<?> ids) {
        return Panache.getSession().createSelectionQuery(hql, type).setParameterList("ids", ids);
    }
}
