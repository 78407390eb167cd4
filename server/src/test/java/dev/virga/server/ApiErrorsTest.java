package dev.virga.server;

import static dev.virga.server.ControlPlane.errorShape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.api.Image;
import dev.virga.api.OperationStatus;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests the server refuses: one error shape {@code {"error", "code", "details"}}, the right status, the field
 * named, never a stack trace, nothing created. None of them changes state, so they share one server.
 */
@Timeout(30)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiErrorsTest {
    private ControlPlane plane;
    private VirgaClient client;

    @BeforeAll
    void startServer() throws Exception {
        plane = ControlPlane.start();
        client = plane.client();
    }

    @AfterAll
    void stopServer() {
        if (plane != null) {
            plane.close();
        }
    }

    @Test
    void aBodyOverAMebibyteIsA413AndNothingIsCreated() {
        var body = "{\"name\": \"vm1\", \"image\": \"tiny\", \"pad\": \"" + "x".repeat(2 << 20) + "\"}";
        var json = errorShape(plane.http("POST", "/1.0/instances", body), 413);

        assertThat(json.get("error").asText()).startsWith("body: ").contains("at most 1048576 bytes");
        assertThat(client.instances()).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpus\": \"many\"}          | cpus   | wrong type",
            "{\"name\": \"vm1\", \"image\": \"tiny\",                               | body   | not valid JSON",
            "''                                                                     | body   | required",
            "[1, 2]                                                                 | body   | wrong type",
            "{\"name\": \"Bad Name\", \"image\": \"tiny\"}                          | name   | 'Bad Name'",
            "{\"image\": \"tiny\"}                                                  | name   | must not be empty",
            "{\"name\": \"vm1\"}                                                    | image  | must not be empty",
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"memory\": \"lots\"}         | memory | 'lots' is not a size",
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpus\": 65}                 | cpus   | 65 is out of range",
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"disk\": \"100M\"}           | disk   | smaller than the image",
            // strict parsing (issue 14's hostile review): nothing is ignored, truncated or coerced
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpu\": 4}                  | cpu    | unknown field of LaunchRequest",
            "{\"name\": \"vm1\", \"image\": \"tiny\"} {\"x\": 1}                    | body   | text after the JSON value",
            "{\"name\": true, \"image\": \"tiny\"}                               | name   | wrong type",
            "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpus\": 1.5}               | cpus   | wrong type",
            "{\"name\": \"vm1\", \"name\": \"vm2\", \"image\": \"tiny\"}            | name   | given twice"})
    void badInputIsA400InTheErrorShapeThatNamesTheField(String body, String field, String why) {
        var json = errorShape(plane.http("POST", "/1.0/instances", body), 400);

        assertThat(json.get("details").get("field").asText()).isEqualTo(field);
        assertThat(json.get("error").asText()).startsWith(field + ": ").contains(why);
        assertThat(client.instances()).isEmpty();
        assertThat(plane.agent.created).isEmpty();
    }

    @Test
    void aNullBodyIsA400NotAnInternalError() {
        var json = errorShape(plane.http("POST", "/1.0/instances", "null"), 400);
        assertThat(json.get("details").get("field").asText()).isEqualTo("body");

        errorShape(plane.http("POST", "/1.0/images/build", "null"), 400);
    }

    @Test
    void aNumberTooLargeForItsFieldNamesTheField() {
        var json = errorShape(plane.http("POST", "/1.0/instances",
                "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpus\": 99999999999}"), 400);
        assertThat(json.get("details").get("field").asText()).isEqualTo("cpus");
    }

    @Test
    void launchingFromAnUnknownImageIsA404NamingTheImage() {
        var json = errorShape(plane.http("POST", "/1.0/instances", "{\"name\": \"vm1\", \"image\": \"nope\"}"), 404);

        assertThat(json.get("error").asText()).isEqualTo("image 'nope' not found");
        assertThat(json.get("details").get("image").asText()).isEqualTo("nope");
        assertThat(client.instances()).isEmpty();
    }

    @Test
    void anUnknownInstanceIsA404ForEveryVerb() {
        for (var request : new String[][] {
                {"GET", "/1.0/instances/nope", null},
                {"DELETE", "/1.0/instances/nope", null},
                {"PUT", "/1.0/instances/nope/state", "{\"action\": \"stop\"}"},
                {"POST", "/1.0/instances/nope/exec", "{\"command\": [\"true\"]}"}}) {
            var json = errorShape(plane.http(request[0], request[1], request[2]), 404);
            assertThat(json.get("error").asText()).as(request[0]).isEqualTo("instance 'nope' not found");
            assertThat(json.get("details").get("instance").asText()).isEqualTo("nope");
        }
        assertThatThrownBy(() -> client.instance("nope"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404))
                .hasMessage("instance 'nope' not found");
    }

    @Test
    void anUnknownEndpointIsA404InTheErrorShape() {
        var json = errorShape(plane.http("GET", "/1.0/nothing", null), 404);
        assertThat(json.get("error").asText()).contains("/1.0/nothing");

        errorShape(plane.http("GET", "/", null), 404);
        errorShape(plane.http("POST", "/2.0/instances", "{}"), 404);
    }

    @Test
    void waitingWithATimeoutThatIsNotANumberIsA400NamingTimeout() {
        var op = client.buildImage("tiny");

        var json = errorShape(plane.http("GET", "/1.0/operations/" + op.id() + "/wait?timeout=abc", null), 400);
        assertThat(json.get("details").get("field").asText()).isEqualTo("timeout");
        assertThat(json.get("error").asText()).isEqualTo("timeout: 'abc' is not a whole number");

        var negative = errorShape(plane.http("GET", "/1.0/operations/" + op.id() + "/wait?timeout=-1", null), 400);
        assertThat(negative.get("details").get("field").asText()).isEqualTo("timeout");

        errorShape(plane.http("GET", "/1.0/operations/no-such-op/wait?timeout=1", null), 404);
        assertThat(plane.ended(op).status()).isEqualTo(OperationStatus.SUCCESS);
    }

    @Test
    void buildingAnUnknownRecipeIsA400NamingRecipe() {
        var json = errorShape(plane.http("POST", "/1.0/images/build", "{\"recipe\": \"huge\"}"), 400);

        assertThat(json.get("details").get("field").asText()).isEqualTo("recipe");
        assertThat(json.get("error").asText()).contains("'huge'");
        assertThat(client.images()).extracting(Image::name).containsExactly("tiny");
    }

    @Test
    void metricsAreServedAsPrometheusText() {
        var response = plane.http("GET", "/1.0/metrics", null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
    }
}
