package dev.moratorium.outbox;

import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownServerException;

/**
 * Whose fault a failed send is: the row's (the broker will never take it; set it aside) or the
 * moment's (an outage; send it again).
 *
 * <ul>
 * <li>{@link Kind#REFUSED}: the record itself is unacceptable — too large for the producer or the
 * topic, an invalid topic name, a record the broker calls invalid, a value that does not serialize.
 * Sending it again gives the same answer.</li>
 * <li>{@link Kind#SUSPECT}: {@link UnknownServerException}, the broker's "something went wrong" —
 * it says nothing about the record, and it may pass, so it is retried; but a row that meets it
 * round after round ({@link #SUSPECT_ATTEMPTS} times in a row) is set aside too, or it would stop
 * publication for good.</li>
 * <li>{@link Kind#OUTAGE}: everything else — Kafka's retriable errors (timeouts, leader changes, a
 * broker away), authentication and authorization (the deployment's problem, which would otherwise
 * set aside every row), and anything unknown. Retried until it passes: setting aside a good row
 * would publish the rows after it without it, out of their policy's order.</li>
 * </ul>
 */
final class SendFailure {

    static final int SUSPECT_ATTEMPTS = 3;

    enum Kind { REFUSED, SUSPECT, OUTAGE }

    private SendFailure() {
    }

    static Kind classify(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof RetriableException) {
            return Kind.OUTAGE;
        }
        if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
                || e instanceof InvalidTopicException || e instanceof InvalidRecordException
                || e instanceof SerializationException) {
            return Kind.REFUSED;
        }
        if (e instanceof UnknownServerException) {
            return Kind.SUSPECT;
        }
        return Kind.OUTAGE;
    }

    /** One line for the operator: the error's class and message. */
    static String describe(Throwable failure) {
        Throwable e = unwrap(failure);
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable e = failure;
        while (e instanceof ExecutionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
