package dev.moratorium.webhook;

/** A subscription request the service refuses; the message is one sentence naming the field. */
public class InvalidSubscription extends RuntimeException {

    public InvalidSubscription(String message) {
        super(message, null, false, false);
    }
}
