/** The wire contract of Virga's public REST API and of the agent's host endpoint: records only, JDK only. */
package dev.virga.api;
