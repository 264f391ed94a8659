package dev.moratorium.api;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * An answer's rows, whose sizes are known before they are read, split into runs that are read and
 * written one at a time: each run holds at most {@code maxRows} rows and {@code maxBytes} bytes,
 * or is one row larger than that alone. So an answer's memory is one run's, however many rows it has
 * and however large each is, while an answer of small rows still takes few statements.
 */
final class AnswerChunks {

    private AnswerChunks() {
    }

    /** The rows in order, as consecutive non-empty runs. */
    static <T> List<List<T>> of(List<T> rows, ToLongFunction<T> bytes, long maxBytes, int maxRows) {
        List<List<T>> runs = new ArrayList<>();
        int start = 0;
        long held = 0;
        for (int i = 0; i < rows.size(); i++) {
            long size = bytes.applyAsLong(rows.get(i));
            if (i > start && (i - start == maxRows || held + size > maxBytes)) {
                runs.add(rows.subList(start, i));
                start = i;
                held = 0;
            }
            held += size;
        }
        if (start < rows.size()) {
            runs.add(rows.subList(start, rows.size()));
        }
        return runs;
    }
}
