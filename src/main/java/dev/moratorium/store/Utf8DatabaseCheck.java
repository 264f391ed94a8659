package dev.moratorium.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/**
 * Refuses a database that is not encoded in UTF8 before Flyway migrates it, at every start
 * ({@code quarkus.flyway.callbacks}). The service keeps names in any script and keys them with
 * {@code normalize()} (V24), which PostgreSQL performs only in UTF8: in a LATIN1 database V1 to V23
 * were applied and V24 failed, a service that could not start; and before V24, a name outside the
 * encoding was refused by the database as if the record were at fault.
 */
public class Utf8DatabaseCheck implements Callback {

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.BEFORE_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        try (Statement s = context.getConnection().createStatement();
                ResultSet r = s.executeQuery("SELECT current_database(), current_setting('server_encoding')")) {
            r.next();
            String encoding = r.getString(2);
            if (!"UTF8".equals(encoding)) {
                throw new FlywayException(String.format("The database \"%s\" is encoded in %s; the service needs a UTF8"
                        + " database (names in any script, keyed with normalize()). Create it with ENCODING 'UTF8'"
                        + " (docs/operations.md)", r.getString(1), encoding));
            }
        } catch (SQLException e) {
            throw new FlywayException("Could not read the database's encoding: " + e.getMessage(), e);
        }
    }

    @Override
    public String getCallbackName() {
        return "utf8-database";
    }
}
