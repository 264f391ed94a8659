package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.hibernate.exception.GenericJDBCException;
import org.hibernate.jdbc.ReturningWork;

/**
 * Reads that take a connection of their own and give it back as soon as they end. Outside a
 * transaction, a request's persistence context keeps the connection of its first statement until
 * the request ends; an answer that reads first and then waits for a place among the long answers,
 * or for its client to take megabytes, kept it all that time, and 200 clients asking at once for a
 * long policy list held all 16 of the pool's, so 129 of them, and the outbox relay, failed to get
 * one within 5 s. Inside a transaction (the access index's reads) the connection is the
 * transaction's, as the pool enlists it.
 */
@ApplicationScoped
public class ReadConnections {

    @Inject
    DataSource dataSource;

    <T> T read(ReturningWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.execute(c);
        } catch (SQLException e) {
            throw new GenericJDBCException("a read failed: " + e.getMessage(), e);
        }
    }
}
