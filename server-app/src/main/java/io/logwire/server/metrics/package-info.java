/** Prometheus metrics and the /metrics, /healthz and /readyz HTTP endpoint (docs/operations.md). */
package io.logwire.server.metrics;
