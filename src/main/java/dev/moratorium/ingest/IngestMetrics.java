package dev.moratorium.ingest;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/** Ingest figures for {@code /q/metrics}: records by type and result, rejections by reason, batch latency. */
@ApplicationScoped
public class IngestMetrics {

    @Inject
    MeterRegistry registry;

    /** @param result {@code applied}, {@code duplicate} or {@code rejected} */
    void consumed(String type, String result) {
        registry.counter("moratorium.events.consumed", "type", type, "result", result).increment();
    }

    void rejected(String reason) {
        registry.counter("moratorium.events.rejected", "reason", reason).increment();
    }

    void batch(int records, long nanos) {
        Timer.builder("moratorium.ingest.batch.duration").description("Time to apply one polled batch in one transaction")
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(nanos));
        DistributionSummary.builder("moratorium.ingest.batch.size").description("Records per polled batch")
                .register(registry).record(records);
    }
}
