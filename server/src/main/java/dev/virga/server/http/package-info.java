/** The HTTP edge of the control plane: the error family, its one mapping to JSON, and request helpers. */
package dev.virga.server.http;
