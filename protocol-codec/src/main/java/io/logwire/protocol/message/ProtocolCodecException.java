package io.logwire.protocol.message;

import io.netty.handler.codec.DecoderException;

/**
 * A protocol violation to be answered with an {@code ERROR} frame on {@link #streamId()}.
 * Fatal ones close the connection after that frame. It extends {@link DecoderException} so
 * Netty's decoders pass it through unwrapped. It carries no stack trace: it reports a
 * peer's mistake, not a bug, and a hostile peer could make many.
 */
public final class ProtocolCodecException extends DecoderException {
    private final ErrorCode errorCode;
    private final int streamId;

    public ProtocolCodecException(ErrorCode errorCode, int streamId, String message) {
        super(message);
        this.errorCode = errorCode;
        this.streamId = streamId;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    public int streamId() {
        return streamId;
    }

    /** Whether the connection must be closed after the error frame. */
    public boolean isFatal() {
        return errorCode.isFatal();
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
