using System.Text.Json.Nodes;

namespace Coordinator.Connectors.Tests;

/// <summary>The merge patch that edits a parked step's input, against RFC 7396's own examples.</summary>
public sealed class JsonMergePatchTests
{
    /// <summary>RFC 7396, Appendix A: original, patch, result.</summary>
    public static TheoryData<string, string, string> Rfc7396AppendixA => new()
    {
        { """{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""" },
        { """{"a":"b"}""", """{"a":null}""", """{}""" },
        { """{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""" },
        { """{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""" },
        { """{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""" },
        { """{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""" },
        { """["a","b"]""", """["c","d"]""", """["c","d"]""" },
        { """{"a":"b"}""", """["c"]""", """["c"]""" },
        { """{"a":"foo"}""", "null", "null" },
        { """{"a":"foo"}""", "\"bar\"", "\"bar\"" },
        { """{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""" },
        { "[1,2]", """{"a":"b","c":null}""", """{"a":"b"}""" },
        { "{}", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""" },
    };

    [Theory]
    [MemberData(nameof(Rfc7396AppendixA))]
    public void Apply_Rfc7396AppendixAExample_GivesTheRfcResult(string original, string patch, string result)
    {
        var target = JsonNode.Parse(original);
        var merged = JsonMergePatch.Apply(target, JsonNode.Parse(patch));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(result), merged), $"{original} patched with {patch} gave {merged?.ToJsonString() ?? "null"}, the RFC says {result}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original), target), "the target is left unchanged");
    }

    [Fact]
    public void Edit_ObjectEditOverAScalarInput_DropsTheEditsNulls()
    {
        var input = new JsonObject { ["amount"] = 10, ["customer"] = "cus_1" };

        var edited = JsonMergePatch.Edit(input, new JsonObject { ["customer"] = new JsonObject { ["id"] = "cus_2", ["legacy"] = null } });

        Assert.Equal("""{"amount":10,"customer":{"id":"cus_2"}}""", edited.ToJsonString());
    }

    [Fact]
    public void Edit_NoEdit_CopiesTheInput()
    {
        var input = new JsonObject { ["amount"] = 10 };

        var edited = JsonMergePatch.Edit(input, null);

        Assert.NotSame(input, edited);
        Assert.True(JsonNode.DeepEquals(input, edited));
    }
}
