package io.logwire.server.store.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Unmaps a {@link MappedByteBuffer} now rather than whenever the GC gets to it, so the disk
 * space of a segment removed by retention is given back promptly (an unlinked file lives as
 * long as a mapping of it). Uses {@code sun.misc.Unsafe.invokeCleaner} (JDK 9+, module
 * {@code jdk.unsupported}); where that is missing it leaves the mapping to the GC.
 *
 * <p>The caller must guarantee that nothing reads the buffer afterwards (a read would crash the
 * JVM): segments only unmap when their last reference is released.
 */
final class Unmapper {
    private static final Logger LOG = LoggerFactory.getLogger(Unmapper.class);
    private static final MethodHandle INVOKE_CLEANER = findInvokeCleaner();

    private Unmapper() {
    }

    private static MethodHandle findInvokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
            return MethodHandles.lookup().unreflect(invokeCleaner).bindTo(theUnsafe.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Cannot unmap segments explicitly ({}); the GC will", e.toString());
            return null;
        }
    }

    static void unmap(MappedByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
        } catch (Throwable t) {
            LOG.debug("Could not unmap a segment ({}); the GC will", t.toString());
        }
    }
}
