package dev.moratorium.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;

/** One small JSON answer for the ops dashboard: clock, consumer lag, outbox backlog, policy counts, the state topic. */
@Path("/ops/status")
@Produces(MediaType.APPLICATION_JSON)
public class OpsResource {

    @Inject
    OpsMonitor monitor;

    @Inject
    MeterRegistry registry;

    @Inject
    Clock clock;

    @Inject
    StateTopicWatch stateTopic;

    public record OpsStatus(Instant clock, long consumerLag, long outboxBacklog, double outboxOldestAgeSeconds,
            long activeMoratoria, long scheduledMoratoria, double timeDrivenLagSeconds,
            @Schema(description = "rejections not yet resolved, counted up to 10,000") long openRejections,
            @Schema(description = "false when there are more than openRejections") boolean openRejectionsExact,
            StateTopicWatch.Status stateTopic) {
    }

    @GET
    @Operation(operationId = "getOpsStatus", summary = "Clock, consumer lag, outbox backlog and policy counts for the dashboard")
    public OpsStatus status() {
        OpsSnapshot s = monitor.latest();
        return new OpsStatus(clock.instant(), consumerLag(), s.outboxBacklog(), s.outboxOldestAgeSeconds(),
                s.activeMoratoria(), s.scheduledMoratoria(), s.timeDrivenLagSeconds(), s.openRejections(),
                s.openRejectionsExact(), stateTopic.status());
    }

    /**
     * Records of policy-changes the consumer is behind: the sum of its per-partition records-lag, the
     * last lag measured (0 when unknown). Not records-lag-max: that is NaN whenever no fetch happened
     * in its window, which showed 0 exactly when a stalled consumer had records waiting; it remains
     * the fallback before the per-partition figures exist.
     */
    private long consumerLag() {
        double sum = 0;
        boolean perPartition = false;
        for (Gauge g : registry.find("kafka.consumer.fetch.manager.records.lag").tag("topic", "policy-changes").gauges()) {
            double v = g.value();
            if (!Double.isNaN(v) && v > 0) {
                sum += v;
            }
            perPartition = true;
        }
        if (perPartition) {
            return (long) sum;
        }
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
