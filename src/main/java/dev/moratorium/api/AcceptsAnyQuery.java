package dev.moratorium.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A resource method that answers whatever its query holds, exempt from {@link UnknownParameters}:
 * only {@code GET /ops/ping}, the decisions benchmark's baseline, which is sent the very requests
 * {@code /access} is (query strings and all) and must answer them as it always has.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface AcceptsAnyQuery {
}
