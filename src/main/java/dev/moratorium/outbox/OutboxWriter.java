package dev.moratorium.outbox;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.policy.Notification;
import dev.moratorium.policy.Outcome;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.Rejection;
import dev.moratorium.store.AppendOnlyRows;
import dev.moratorium.store.InLists;
import dev.moratorium.store.NotificationEntity;
import dev.moratorium.store.OutboxEntity;
import dev.moratorium.store.SequenceBlock;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Topics;
import dev.moratorium.wire.TraceContext;
import dev.moratorium.wire.WireJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes what a change must publish as outbox rows, inside the caller's transaction: nothing is
 * published for a change that rolls back, and everything is published (at least once, always
 * with the same ids) for one that commits.
 *
 * <p>A transaction collects its rows in a {@link Batch} and writes them at its end, under the
 * writers' lock: the ids come from one statement per sequence (not one round trip per row), in
 * the order the rows were written, so id order stays commit order; and the rows are inserted
 * table by table, one {@code COPY} each ({@link AppendOnlyRows}), a few round trips.
 */
@ApplicationScoped
public class OutboxWriter {

    public static final String DEAD_LETTER_REASON = "dead-letter-reason";

    /** {@code ce_type} of the records on {@code moratorium-state}. */
    public static final String STATE_TYPE = "moratorium.state";

    /**
     * W3C trace context headers, carried from a policy-change record to what it caused; only values
     * within the W3C limits are carried (see TraceContext).
     */
    public static final List<String> TRACE_HEADERS = List.of(TraceContext.TRACEPARENT, TraceContext.TRACESTATE);

    @Inject
    MoratoriumConfig config;

    @Inject
    SequenceBlock sequences;

    @Inject
    AppendOnlyRows appendOnly;

    public Batch batch() {
        return new Batch();
    }

    /** The rows of one transaction, written by {@link #persist()}. */
    public final class Batch {

        private final List<NotificationEntity> notifications = new ArrayList<>();
        private final List<OutboxEntity> records = new ArrayList<>();
        /** Time-driven notifications (deterministic ids from the policy and the moment) and their outbox rows. */
        private final Map<String, ClockCaused> clockCaused = new HashMap<>();
        /** The payloads held for this transaction, in bytes (a notification's twice: its row and its outbox row). */
        private long heldBytes;

        /**
         * What this transaction's rows hold so far, for a writer that must stop before it holds too
         * much: every notification and state record carries the policy's exemptions in force, up to
         * 768 KiB of UTF-8 each, so a batch of 500 small records (a grant or a revocation each) could
         * make a gigabyte of rows.
         */
        public long heldBytes() {
            return heldBytes;
        }

        /** The notifications (also kept for {@code GET /notifications}) and each state the policy passed through. */
        public void write(Outcome outcome, Instant now) {
            write(outcome, now, List.of());
        }

        /**
         * @param trace the causing record's {@code traceparent}/{@code tracestate} headers, so a trace
         *              follows a change from the producer to every subscriber
         */
        public void write(Outcome outcome, Instant now, List<RawHeader> trace) {
            for (Notification n : outcome.notifications()) {
                byte[] payload = WireJson.bytes(WireJson.notification(n));
                NotificationEntity row = new NotificationEntity();
                row.notificationId = n.notificationId();
                row.type = n.type().wireName();
                row.policyId = n.policy().policyId();
                row.occurredAt = n.occurredAt();
                row.createdAt = now;
                row.payload = new String(payload, StandardCharsets.UTF_8);
                row.payloadBytes = payload.length;
                notifications.add(row);
                heldBytes += 2L * payload.length;
                List<RawHeader> headers = new ArrayList<>(List.of(
                        header("ce_specversion", "1.0"),
                        header("ce_id", n.notificationId()),
                        header("ce_type", n.type().wireName()),
                        header("ce_source", config.notifications().source()),
                        header("ce_subject", n.policy().policyId()),
                        header("ce_time", n.occurredAt().toString()),
                        header("content-type", "application/json")));
                headers.addAll(trace);
                OutboxEntity record = enqueue(Topics.NOTIFICATIONS, key(n.policy()), payload, headers);
                if (Notification.CLOCK.equals(n.causedBy())) {
                    clockCaused.put(n.notificationId(), new ClockCaused(row, record));
                }
            }
            for (Policy state : outcome.stateChanges()) {
                byte[] payload = WireJson.bytes(WireJson.state(state));
                List<RawHeader> headers = stateHeaders(stateChangeId(outcome, payload, now), state, now);
                headers.addAll(trace);
                enqueue(Topics.STATE, key(state), payload, headers);
            }
        }

        /**
         * The policy's state as it is, published again without a change: the compacted
         * {@code moratorium-state} is how a subscriber rebuilds the table, so a state that did not
         * reach it (a parked row) or a topic lost or made anew is mended by the current states.
         * Under the writers' lock, its row follows every change committed before and precedes every
         * later one, so the topic's last record for the policy stays its current state.
         *
         * @return the row, whose {@code id} is set when the batch is persisted
         */
        public OutboxEntity currentState(Policy state, Instant now) {
            byte[] payload = WireJson.bytes(WireJson.state(state));
            return enqueue(Topics.STATE, key(state), payload, stateHeaders(currentStateId(payload, now), state, now));
        }

        private List<RawHeader> stateHeaders(String id, Policy state, Instant now) {
            // A CloudEvent in binary mode too (CONTRACT.md §5), so one SDK reads both out-topics.
            return new ArrayList<>(List.of(
                    header("ce_specversion", "1.0"),
                    header("ce_id", id),
                    header("ce_type", STATE_TYPE),
                    header("ce_source", config.notifications().source()),
                    header("ce_subject", state.policyId()),
                    header("ce_time", now.toString()),
                    header("content-type", "application/json")));
        }

        /** The rejected record, unchanged, plus the {@code dead-letter-reason} header. */
        public void deadLetter(RawRecord record, Rejection rejection) {
            List<RawHeader> headers = new ArrayList<>(record.headers());
            headers.add(header(DEAD_LETTER_REASON, rejection.deadLetterReason()));
            enqueue(Topics.DEAD_LETTER, record.key(), record.value(), headers);
        }

        /** Must run in the transaction, after the writers' lock was taken. */
        public void persist() {
            dropTimeDrivenAlreadyStored();
            if (!notifications.isEmpty()) {
                long[] ids = sequences.next("notification_seq", notifications.size());
                for (int i = 0; i < ids.length; i++) {
                    notifications.get(i).seq = ids[i];
                }
                appendOnly.insertNotifications(notifications);
            }
            if (!records.isEmpty()) {
                long[] ids = sequences.next("outbox_seq", records.size());
                for (int i = 0; i < ids.length; i++) {
                    records.get(i).id = ids[i];
                }
                appendOnly.insertOutbox(records);
            }
            notifications.clear();
            records.clear();
            clockCaused.clear();
            heldBytes = 0;
        }

        /**
         * A time-driven notification whose id is already stored was already sent: the same boundary of
         * the same policy, decided again (a clock set back by a restart with the same
         * {@code moratorium.clock.start}, or a replica that advanced the policy first). It is done,
         * not a failure: it and its outbox row are left out, and the rest of the change is written.
         */
        private void dropTimeDrivenAlreadyStored() {
            if (clockCaused.isEmpty()) {
                return;
            }
            // at most a few per policy written in this transaction: far below the driver's parameter limit
            List<String> stored = InLists.select(
                    "select n.notificationId from NotificationEntity n where n.notificationId in :ids", String.class,
                    clockCaused.keySet()).list();
            for (String id : stored) {
                ClockCaused done = clockCaused.get(id);
                notifications.remove(done.notification());
                records.remove(done.record());
            }
        }

        private OutboxEntity enqueue(String topic, byte[] key, byte[] payload, List<RawHeader> headers) {
            heldBytes += payload == null ? 0 : payload.length;
            OutboxEntity row = new OutboxEntity();
            row.topic = topic;
            row.recordKey = key;
            row.payload = payload;
            row.headers = HeaderCodec.encode(headers);
            row.createdAt = Instant.now(); // wall clock, not the service clock: it measures publication delay
            records.add(row);
            return row;
        }
    }

    private record ClockCaused(NotificationEntity notification, OutboxEntity record) {
    }

    /**
     * The {@code ce_id} of a state record: a name-based UUID of the state as published and of the
     * (deterministic) ids of the notifications decided with it, so a state re-derived for the same
     * boundary keeps its id. Unique per change: a notification id names its event (never applied
     * twice) or its policy's boundary. A change without any notification (a moratorium reaching
     * effectiveFrom, a lift announced for later) also names the instant it was decided, since a
     * policy could come back to the same published state that way (lift, extend, lift again).
     */
    public static String stateChangeId(Outcome outcome, byte[] statePayload, Instant decidedAt) {
        StringBuilder name = new StringBuilder("state|");
        for (Notification n : outcome.notifications()) {
            name.append(n.notificationId()).append('|');
        }
        if (outcome.notifications().isEmpty()) {
            name.append(decidedAt).append('|');
        }
        return nameUuid(name.toString(), statePayload);
    }

    /**
     * The {@code ce_id} of a current state published again ({@link Batch#currentState}): a
     * name-based UUID of the state and the instant it was queued. Not the id of the change that
     * made the state (none is at hand), and not the same for every republication of one state: a
     * subscriber that remembers ids from before its topic was lost must not drop the state that
     * rebuilds it.
     */
    public static String currentStateId(byte[] statePayload, Instant queuedAt) {
        return nameUuid("current|" + queuedAt + '|', statePayload);
    }

    private static String nameUuid(String name, byte[] payload) {
        byte[] prefix = name.getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(prefix, prefix.length + payload.length);
        System.arraycopy(payload, 0, all, prefix.length, payload.length);
        return UUID.nameUUIDFromBytes(all).toString();
    }

    private static byte[] key(Policy policy) {
        return policy.policyId().getBytes(StandardCharsets.UTF_8);
    }

    private static RawHeader header(String key, String value) {
        return new RawHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
