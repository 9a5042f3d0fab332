package io.logwire.protocol.message;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The error-code and opcode tables of PROTOCOL.md section 4. */
class ErrorCodeTest {

    @ParameterizedTest(name = "{0} {1} fatal={2}")
    @CsvSource({
            "1, MALFORMED_FRAME, true",
            "2, FRAME_TOO_LARGE, true",
            "3, UNKNOWN_OPCODE, false",
            "4, INVALID_REQUEST, false",
            "5, INVALID_QUERY, false",
            "6, OVERFLOW, false",
            "7, UNSUPPORTED_VERSION, true",
            "8, STORAGE_ERROR, false",
            "9, OVERLOADED, false",
            "10, UNAUTHORIZED, false",
            "11, SHUTTING_DOWN, false",
            "12, INTERNAL, false",
            "13, CANCELLED, false"})
    void codesAndFatalityAreThoseOfTheTable(int code, String name, boolean fatal) {
        ErrorCode c = ErrorCode.valueOf(name);
        assertThat(c.code()).isEqualTo(code);
        assertThat(c.isFatal()).isEqualTo(fatal);
        assertThat(ErrorCode.fromCode(code)).isSameAs(c);
        assertThat(new ProtocolCodecException(c, 9, "x").isFatal()).isEqualTo(fatal);
    }

    @Test
    void unknownCodesAreNull() {
        assertThat(ErrorCode.fromCode(0)).isNull();
        assertThat(ErrorCode.fromCode(14)).isNull();
        assertThat(ErrorCode.fromCode(-1)).isNull();
        assertThat(ErrorCode.fromCode(0xFFFF)).isNull();
    }

    @Test
    void loadAndDrainingErrorsAreWorthRetryingRequestErrorsAreNot() {
        assertThat(ErrorCode.OVERLOADED.isRetriable()).isTrue();
        assertThat(ErrorCode.SHUTTING_DOWN.isRetriable()).isTrue();
        assertThat(ErrorCode.INVALID_QUERY.isRetriable()).isFalse();
        assertThat(ErrorCode.MALFORMED_FRAME.isRetriable()).isFalse();
    }

    @ParameterizedTest(name = "0x{0} {1}")
    @CsvSource({"0001, UPLOAD", "0002, QUERY", "0003, ECHO", "0004, SEARCH", "0005, DOUBLE", "0006, NEGATE",
            "0007, STATS", "0008, HELLO",
            "0009, UPLOAD_ONCE", "000a, QUERY_FROM", "000b, TAIL", "000c, CANCEL", "000d, AGGREGATE", "000e, AUTH"})
    void opcodesAreThoseOfTheTable(String hex, String name) {
        int code = Integer.parseInt(hex, 16);
        Opcode op = Opcode.valueOf(name);
        assertThat(op.code()).isEqualTo(code);
        assertThat(op.finalReply()).isEqualTo(0x8000 | code);
        assertThat(op.partialReply()).isEqualTo(0x4000 | code);
        assertThat(Opcode.forRequest(code)).isSameAs(op);
        assertThat(Opcode.forRequest(0x8000 | code)).isNull();
        assertThat(Opcode.forRequest(0x4000 | code)).isNull();
    }

    @Test
    void noOtherRequestOpcodes() {
        assertThat(Opcode.values()).hasSize(14);
        assertThat(Opcode.forRequest(0)).isNull();
        assertThat(Opcode.forRequest(0x0F)).isNull();
        assertThat(Opcode.forRequest(Opcode.COMPRESSED)).isNull();
        assertThat(Opcode.forRequest(Opcode.ERROR_RETRY)).isNull();
        assertThat(Opcode.forRequest(Opcode.ERROR)).isNull();
        assertThat(Arrays.stream(Opcode.values()).mapToInt(Opcode::code).distinct().count()).isEqualTo(14);
    }
}
