package io.logwire.protocol.message;

/** Range checks for unsigned wire integers held in wider Java types. */
final class Wire {
    private Wire() {
    }

    static void checkU16(String name, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(name + " is a u16 (0..65535): " + value);
        }
    }

    static void checkU32(String name, long value) {
        if ((value & ~0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException(name + " is a u32 (0..4294967295): " + value);
        }
    }
}
