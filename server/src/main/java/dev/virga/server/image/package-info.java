/** The image catalog: names users launch from, mapped to content on a host; build, import, delete. */
package dev.virga.server.image;
