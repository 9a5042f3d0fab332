package io.logwire.server.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * Applies {@code --log-format} and {@code --log-level} to logback at start-up: the human
 * format is logback.xml's pattern; JSON swaps the encoder of every root appender for
 * logback's own {@link JsonEncoder} (one object per line, no extra dependency).
 */
public final class LogSetup {
    private LogSetup() {
    }

    /** Reconfigures the root appenders and level; a no-op when SLF4J is not bound to logback. */
    public static void apply(LogFormat format, String level) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (level != null) {
            root.setLevel(Level.toLevel(level, root.getLevel()));
        }
        if (format != LogFormat.JSON) {
            return;
        }
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> appender = it.next();
            if (appender instanceof OutputStreamAppender<ILoggingEvent> out
                    && !(out.getEncoder() instanceof JsonEncoder)) {
                JsonEncoder json = new JsonEncoder();
                json.setContext(context);
                json.setWithSequenceNumber(false);
                json.setWithNanoseconds(false);
                json.setWithContext(false);
                json.setWithMessage(false);
                json.setWithArguments(false);
                json.setWithFormattedMessage(true);
                json.start();
                out.stop();
                out.setEncoder(json);
                out.start();
            }
        }
    }

    /** Checks a level name; logback would silently fall back to DEBUG. */
    public static boolean isLevel(String level) {
        return Level.toLevel(level, null) != null;
    }
}
