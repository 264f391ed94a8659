package dev.moratorium.write;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Writes a list of items (records, due policies) in as few transactions as possible while no item
 * can stop the others: the whole list is tried first; when the store refuses it for a data error,
 * the list is split in halves, each tried on its own, down to the one item the store refuses, which
 * is handed to {@code refused}. Halves are written in order, so what one key's items do keeps its
 * order. An outage is not the items' fault: it is thrown to the caller, who retries it all later.
 */
public final class Isolation {

    private Isolation() {
    }

    /**
     * @param write   writes a sub-list in one transaction (rolled back as a whole when it throws)
     * @param refused called with the one item the store refuses and why
     * @throws RuntimeException the failure, when it is an outage ({@link StoreFault#OUTAGE})
     */
    public static <T> void write(List<T> items, Consumer<List<T>> write, BiConsumer<T, RuntimeException> refused) {
        if (items.isEmpty()) {
            return;
        }
        try {
            write.accept(items);
        } catch (RuntimeException e) {
            if (StoreFault.of(e) == StoreFault.OUTAGE) {
                throw e;
            }
            if (items.size() == 1) {
                refused.accept(items.get(0), e);
                return;
            }
            int half = items.size() / 2;
            write(items.subList(0, half), write, refused);
            write(items.subList(half, items.size()), write, refused);
        }
    }
}
