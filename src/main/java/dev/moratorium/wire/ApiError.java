package dev.moratorium.wire;

/** The body of every error answer: {@code {"error": code, "message": sentence}}. */
public record ApiError(String error, String message) {

    /** The error a bare HTTP status stands for, when nothing more precise is known. */
    public static ApiError forStatus(int status) {
        return switch (status) {
            case 400 -> new ApiError("bad-request", "the request is not well-formed");
            case 401 -> new ApiError("unauthorized", "this request needs a bearer token (JWT) with the right role");
            case 403 -> new ApiError("forbidden", "the bearer token's roles do not allow this request");
            case 404 -> new ApiError("not-found", "no such resource");
            case 405 -> new ApiError("method-not-allowed", "this method is not allowed here");
            case 406 -> new ApiError("not-acceptable", "the service answers application/json only");
            case 413 -> new ApiError("too-large", "the request body is larger than the service accepts");
            case 414 -> new ApiError("uri-too-long", "the request line is longer than the service accepts");
            case 415 -> new ApiError("unsupported-media-type", "the request body's media type is not accepted here");
            case 431 -> new ApiError("headers-too-large", "the request headers are larger than the service accepts");
            case 503 -> new ApiError("unavailable", "the service cannot answer now; try again later");
            default -> status >= 500
                    ? new ApiError("internal-error", "the service could not answer; the error is in its log")
                    : new ApiError("bad-request", "the request is not acceptable");
        };
    }
}
