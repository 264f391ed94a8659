package dev.moratorium.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where an event's latency goes, from four wall-clock instants of the same machine: the bench's
 * send, the service's read of the record ({@code policy_event.received_at}: when its batch reached
 * the ingestor), the relay's send of the notification (the record's CreateTime, set by the relay's
 * producer, to the millisecond) and the bench's receipt. Three stages:
 * <ul>
 * <li>{@code to_read}: the broker, the consumer's fetch and the connector's hand-over to the worker;
 * <li>{@code read_to_relay}: the consumer's transaction and commit, the relay's wake-up and its round's
 *     transaction;
 * <li>{@code relay_to_received}: the producer, the broker and the subscriber's fetch.
 * </ul>
 * Reported per stage as percentiles, and as the mean of each stage over the slowest 1 % of events:
 * what the p99 is made of; with the mean number of measured records in an event's polled batch (the
 * records of a batch share their read instant): a batch of many is records that queued behind the
 * one before.
 */
final class LatencyStages {

    private final Map<String, Long> sentMicros = new ConcurrentHashMap<>();
    private final Map<String, Long> relaySentMillis = new ConcurrentHashMap<>();
    private final Map<String, Long> receivedMicros = new ConcurrentHashMap<>();

    void sent(String eventId) {
        sentMicros.put(eventId, nowMicros());
    }

    void received(String eventId, long recordTimestampMillis) {
        receivedMicros.putIfAbsent(eventId, nowMicros());
        relaySentMillis.putIfAbsent(eventId, recordTimestampMillis);
    }

    /** The stages of these events; the read instants come from the service's database. */
    Json report(Connection db, Collection<String> eventIds) throws SQLException {
        Map<String, Long> readMicros = readInstants(db, eventIds);
        // the records of one polled batch share the instant it reached the ingestor
        Map<Long, Integer> batchSizes = new HashMap<>();
        for (String id : eventIds) {
            Long read = readMicros.get(id);
            if (read != null) {
                batchSizes.merge(read, 1, Integer::sum);
            }
        }
        List<double[]> rows = new ArrayList<>();
        for (String id : eventIds) {
            Long sent = sentMicros.get(id);
            Long read = readMicros.get(id);
            Long relay = relaySentMillis.get(id);
            Long received = receivedMicros.get(id);
            if (sent == null || read == null || relay == null || received == null) {
                continue;
            }
            double toRead = (read - sent) / 1e3;
            double readToRelay = relay - read / 1e3;
            double relayToReceived = received / 1e3 - relay;
            rows.add(new double[] {toRead + readToRelay + relayToReceived, toRead, readToRelay, relayToReceived,
                batchSizes.get(read)});
        }
        Json out = new Json().put("events", rows.size());
        if (rows.isEmpty()) {
            return out;
        }
        out.put("batch_records_mean", Json.round(rows.stream().mapToDouble(r -> r[4]).average().orElse(0), 2));
        String[] names = {"to_read", "read_to_relay", "relay_to_received"};
        for (int s = 0; s < names.length; s++) {
            int column = s + 1;
            double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
            out.put(names[s], new Json().put("p50_ms", Json.round(percentile(v, 50), 2))
                    .put("p90_ms", Json.round(percentile(v, 90), 2)).put("p99_ms", Json.round(percentile(v, 99), 2))
                    .put("max_ms", Json.round(v[v.length - 1], 2)));
        }
        rows.sort((a, b) -> Double.compare(b[0], a[0]));
        int slowest = Math.max(1, rows.size() / 100);
        Json tail = new Json().put("events", slowest);
        for (int s = 0; s < names.length; s++) {
            int column = s + 1;
            tail.put(names[s] + "_mean_ms",
                    Json.round(rows.subList(0, slowest).stream().mapToDouble(r -> r[column]).average().orElse(0), 2));
        }
        tail.put("batch_records_mean", Json.round(rows.subList(0, slowest).stream().mapToDouble(r -> r[4]).average()
                .orElse(0), 2));
        out.put("slowest_1_percent", tail);
        return out;
    }

    private static Map<String, Long> readInstants(Connection db, Collection<String> eventIds) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement s = db.prepareStatement(
                "SELECT event_id, received_at FROM policy_event WHERE event_id = ANY (?)")) {
            s.setArray(1, db.createArrayOf("varchar", eventIds.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Instant at = rs.getObject(2, java.time.OffsetDateTime.class).toInstant();
                    out.put(rs.getString(1), at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000);
                }
            }
        }
        return out;
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static double percentile(double[] sorted, double p) {
        return LatencyBenchmark.percentile(sorted, p);
    }
}
