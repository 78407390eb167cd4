/** Events: what happened to instances and operations, stored for a while and streamed to listeners (SSE). */
package dev.virga.server.event;
