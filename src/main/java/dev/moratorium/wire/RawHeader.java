package dev.moratorium.wire;

/** One Kafka record header, kept byte for byte so a rejected record can be dead-lettered unchanged. */
public record RawHeader(String key, byte[] value) {
}
