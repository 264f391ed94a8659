package dev.moratorium.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Rows sent to PostgreSQL with {@code COPY … FROM STDIN} in its text format: columns separated by
 * a tab, rows by a newline, {@code \N} for NULL, and a backslash before a backslash, tab, newline or
 * carriage return inside a value. COPY inserts a block of rows per heap page and WAL record where
 * a multi-row INSERT writes one WAL record per row, and it parses no statement with a parameter
 * per value (BENCHMARKS.md, fifteenth pass).
 *
 * <p>The rows go to the server in chunks of {@link #CHUNK} bytes, so a transaction of large rows
 * (dead letters of up to 2 MiB, hex-encoded) never sits in memory twice. A value the store refuses
 * (too long, a NUL in text) fails the COPY with a data exception (SQLState class 22), as it failed
 * the INSERT, so StoreFault still rejects the record rather than retrying it; the server's message
 * then also names the column and quotes the start of the row. A COPY that fails in the middle on
 * our side is ended ({@link #close}), so the connection can roll back.
 */
final class CopyRows implements AutoCloseable {

    static final int CHUNK = 64 * 1024;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final CopyIn copy;
    private byte[] buffer = new byte[1024];
    private int length;
    private boolean rowStarted;

    private CopyRows(CopyIn copy) {
        this.copy = copy;
    }

    /** Starts {@code COPY table (columns) FROM STDIN} on the transaction's connection. */
    static CopyRows into(Connection c, String tableAndColumns) throws SQLException {
        return new CopyRows(c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + tableAndColumns + " FROM STDIN"));
    }

    CopyRows text(String value) throws SQLException {
        separate();
        if (value == null) {
            return nul();
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r' || ch >= 0x80) {
                escaped(value, i);
                return this;
            }
        }
        for (int i = 0; i < value.length(); i++) {
            put((byte) value.charAt(i));
        }
        return this;
    }

    /** As bytea's hex input, {@code \x…}, its backslash escaped for COPY. */
    CopyRows bytes(byte[] value) throws SQLException {
        separate();
        if (value == null) {
            return nul();
        }
        put((byte) '\\');
        put((byte) '\\');
        put((byte) 'x');
        for (byte b : value) {
            put(HEX[(b >> 4) & 0xf]);
            put(HEX[b & 0xf]);
        }
        return this;
    }

    CopyRows number(Long value) throws SQLException {
        return value == null ? separate().nul() : ascii(Long.toString(value));
    }

    CopyRows number(Integer value) throws SQLException {
        return value == null ? separate().nul() : ascii(Integer.toString(value));
    }

    /**
     * A {@code timestamptz} as the driver writes a bound instant: UTC, microseconds rounded half
     * up, years past 9999 in more digits, years before 1 as {@code BC}.
     */
    CopyRows instant(Instant value) throws SQLException {
        return value == null ? separate().nul() : ascii(timestamp(value));
    }

    /** Ends the current row. */
    CopyRows endRow() throws SQLException {
        put((byte) '\n');
        rowStarted = false;
        return this;
    }

    /** Sends the rest and ends the COPY; returns the rows the server inserted. */
    long finish() throws SQLException {
        flush();
        return copy.endCopy();
    }

    /** Ends a COPY that did not finish (a failure in the middle), so the connection can roll back. */
    @Override
    public void close() throws SQLException {
        if (copy.isActive()) {
            copy.cancelCopy();
        }
    }

    static String timestamp(Instant value) {
        Instant micros = value.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
        LocalDateTime t = LocalDateTime.ofInstant(micros, ZoneOffset.UTC);
        StringBuilder b = new StringBuilder(32);
        int year = t.getYear();
        boolean bc = year < 1;
        String digits = Integer.toString(bc ? 1 - year : year);
        b.append("0000", 0, Math.max(0, 4 - digits.length())).append(digits);
        two(b.append('-'), t.getMonthValue());
        two(b.append('-'), t.getDayOfMonth());
        two(b.append(' '), t.getHour());
        two(b.append(':'), t.getMinute());
        two(b.append(':'), t.getSecond());
        int micro = t.getNano() / 1000;
        if (micro != 0) {
            String m = Integer.toString(micro);
            b.append('.').append("000000", 0, 6 - m.length()).append(m);
        }
        b.append("+00");
        if (bc) {
            b.append(" BC");
        }
        return b.toString();
    }

    private static void two(StringBuilder b, int value) {
        if (value < 10) {
            b.append('0');
        }
        b.append(value);
    }

    private CopyRows ascii(String value) throws SQLException {
        separate();
        for (int i = 0; i < value.length(); i++) {
            put((byte) value.charAt(i));
        }
        return this;
    }

    private void escaped(String value, int from) throws SQLException {
        for (int i = 0; i < from; i++) {
            put((byte) value.charAt(i));
        }
        StringBuilder rest = new StringBuilder(value.length() - from + 8);
        for (int i = from; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> rest.append("\\\\");
                case '\t' -> rest.append("\\t");
                case '\n' -> rest.append("\\n");
                case '\r' -> rest.append("\\r");
                default -> rest.append(ch);
            }
        }
        for (byte b : rest.toString().getBytes(StandardCharsets.UTF_8)) {
            put(b);
        }
    }

    private CopyRows separate() {
        if (rowStarted) {
            putUnchecked((byte) '\t');
        }
        rowStarted = true;
        return this;
    }

    private CopyRows nul() throws SQLException {
        put((byte) '\\');
        put((byte) 'N');
        return this;
    }

    private void put(byte b) throws SQLException {
        if (length >= CHUNK) {
            flush();
        }
        putUnchecked(b);
    }

    private void putUnchecked(byte b) {
        if (length == buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + 1));
        }
        buffer[length++] = b;
    }

    private void flush() throws SQLException {
        if (length > 0) {
            copy.writeToCopy(buffer, 0, length);
            length = 0;
        }
    }
}
