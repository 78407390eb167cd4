package dev.virga.api;

/** Body of {@code POST /1.0/images/build}: which built-in recipe to build (today: {@code tiny}). */
public record ImageBuildRequest(String recipe) {
}
