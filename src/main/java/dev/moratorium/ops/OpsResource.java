package dev.moratorium.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import org.eclipse.microprofile.openapi.annotations.Operation;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;

/** One small JSON answer for the ops dashboard: clock, consumer lag, outbox backlog, policy counts. */
@Path("/ops/status")
@Produces(MediaType.APPLICATION_JSON)
public class OpsResource {

    @Inject
    OpsMonitor monitor;

    @Inject
    MeterRegistry registry;

    @Inject
    Clock clock;

    public record OpsStatus(Instant clock, long consumerLag, long outboxBacklog, double outboxOldestAgeSeconds,
            long activeMoratoria, long scheduledMoratoria, double timeDrivenLagSeconds) {
    }

    @GET
    @Operation(operationId = "getOpsStatus", summary = "Clock, consumer lag, outbox backlog and policy counts for the dashboard")
    public OpsStatus status() {
        OpsSnapshot s = monitor.latest();
        return new OpsStatus(clock.instant(), consumerLag(), s.outboxBacklog(), s.outboxOldestAgeSeconds(),
                s.activeMoratoria(), s.scheduledMoratoria(), s.timeDrivenLagSeconds());
    }

    /** The Kafka consumer's own records-lag-max over the policy-changes partitions it holds (0 when unknown). */
    private long consumerLag() {
        double lag = 0;
        for (Gauge g : registry.find("kafka.consumer.fetch.manager.records.lag.max").gauges()) {
            double v = g.value();
            if (!Double.isNaN(v) && v > lag) {
                lag = v;
            }
        }
        return (long) lag;
    }
}
