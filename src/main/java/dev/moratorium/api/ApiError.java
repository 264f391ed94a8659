package dev.moratorium.api;

/** The body of every error answer: {@code {"error": code, "message": sentence}}. */
public record ApiError(String error, String message) {
}
