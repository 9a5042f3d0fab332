/** A {@link io.logwire.server.store.LogStore} on ClickHouse over its HTTP interface (docs/scale-out.md). */
package io.logwire.server.store.clickhouse;
