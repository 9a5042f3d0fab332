/** Client identities (certificates, bearer tokens), roles and the policy file that maps one to the other (PROTOCOL.md 6.8). */
package io.logwire.server.auth;
