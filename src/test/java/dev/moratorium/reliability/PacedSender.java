package dev.moratorium.reliability;

import java.time.Duration;
import java.util.List;

/**
 * Sends records evenly spread over a period from its own thread, so that events keep arriving
 * while the test watches an outage: the catch-up measured afterwards is for events sent during it.
 */
final class PacedSender {

    private final Thread thread;
    private volatile Exception failure;

    private PacedSender(Harness h, List<Workload.Rec> records, Duration over) {
        thread = new Thread(() -> {
            long start = System.nanoTime();
            long step = records.isEmpty() ? 0 : over.toNanos() / records.size();
            try {
                for (int i = 0; i < records.size(); i++) {
                    long wait = start + i * step - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    h.send(records.get(i));
                }
            } catch (Exception e) {
                failure = e;
            }
        }, "paced-sender");
    }

    static PacedSender start(Harness h, List<Workload.Rec> records, Duration over) {
        PacedSender sender = new PacedSender(h, records, over);
        sender.thread.start();
        return sender;
    }

    /** Waits until every record was handed to the producer (not necessarily acknowledged). */
    void join(Duration timeout) throws Exception {
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            thread.interrupt();
            throw new AssertionError("the sender still had records to send " + timeout + " after its period");
        }
        if (failure != null) {
            throw failure;
        }
    }
}
