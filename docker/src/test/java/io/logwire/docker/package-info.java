/** Integration tests of the container image (docker/Dockerfile) with Testcontainers. */
package io.logwire.docker;
