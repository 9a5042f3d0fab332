package io.logwire.server.command;

import io.logwire.protocol.message.Opcode;

import java.util.EnumMap;
import java.util.Map;

/** The dispatch table: one handler per opcode, duplicates and gaps refused at start-up. */
public final class CommandTable {
    private final CommandHandler[] byOpcode;

    private CommandTable(Map<Opcode, CommandHandler> handlers) {
        byOpcode = new CommandHandler[Opcode.values().length];
        handlers.forEach((op, h) -> byOpcode[op.ordinal()] = h);
    }

    public CommandHandler get(Opcode op) {
        return byOpcode[op.ordinal()];
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects handlers; {@link #build()} checks every opcode has exactly one. */
    public static final class Builder {
        private final EnumMap<Opcode, CommandHandler> handlers = new EnumMap<>(Opcode.class);

        public Builder register(Opcode op, CommandHandler handler) {
            if (handlers.putIfAbsent(op, handler) != null) {
                throw new IllegalStateException("two handlers for opcode " + op);
            }
            return this;
        }

        public CommandTable build() {
            for (Opcode op : Opcode.values()) {
                if (!handlers.containsKey(op)) {
                    throw new IllegalStateException("no handler for opcode " + op);
                }
            }
            return new CommandTable(handlers);
        }
    }
}
