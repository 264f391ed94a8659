package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The live feed's cursor, added to a stored notification without a tree: the same text the tree gave. */
class WireJsonTest {

    @Test
    void aLastFieldIsAddedAsTheTreeAddedIt() {
        List<String> objects = List.of(
                "{}",
                "{\"notificationId\":\"n-1\",\"type\":\"moratorium.announced\",\"segments\":[\"police\"],"
                        + "\"exemptions\":[{\"organization\":\"Thorn\",\"purpose\":null}],\"message\":\"}{,\\\"\"}",
                "{\"vendor\":\"\u0130stanbul \u200b \uff21 \ud83d\ude00\",\"nul\":\"a\\u0000b\",\"nested\":{\"x\":{}}}",
                "{\"sequence\":0,\"n\":-1.5e300,\"t\":true,\"f\":false,\"z\":null}");
        for (String source : objects) {
            String object = WireJson.string(WireJson.parse(source)); // stored as WireJson wrote it
            ObjectNode tree = (ObjectNode) WireJson.parse(object);
            tree.put("sequence", 9_007_199_254_740_993L);
            String expected = WireJson.string(tree);
            String spliced = WireJson.withLastField(object, "sequence", 9_007_199_254_740_993L);
            if (!object.contains("\"sequence\"")) { // a tree replaces a field of the same name; the feed's data has none
                assertThat(spliced).as(object).isEqualTo(expected);
            }
            assertThat(WireJson.parse(spliced).get("sequence").asLong()).isEqualTo(9_007_199_254_740_993L);
        }
        assertThat(WireJson.withLastField(" { } \n", "sequence", 7)).isEqualTo(" { \"sequence\":7}");
        assertThat(WireJson.withLastField("{\"a\":1}\n", "sequence", 7)).isEqualTo("{\"a\":1,\"sequence\":7}");
    }

    @Test
    void onlyAnObjectTakesAField() {
        for (String notAnObject : List.of("", " ", "[]", "\"x\"", "{\"a\":1", "1")) {
            assertThatThrownBy(() -> WireJson.withLastField(notAnObject, "sequence", 1))
                    .as(notAnObject).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
