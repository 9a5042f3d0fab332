package io.logwire.protocol.support;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/** Lower-case hex without separators, as {@code vectors.json} writes bytes. */
public final class Hex {
    private Hex() {
    }

    public static byte[] bytes(String hex) {
        return ByteBufUtil.decodeHexDump(hex);
    }

    public static String of(byte[] bytes) {
        return ByteBufUtil.hexDump(bytes);
    }

    /** The readable bytes of {@code buf}, without moving its indices. */
    public static String of(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    /** Concatenates byte arrays. */
    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int i = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }
}
