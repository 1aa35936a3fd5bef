namespace Coordinator.Connectors.Http;

/// <summary>
/// The domain connectors: HTTP connectors whose operations, response mappings and read-backs are
/// predefined for a conventional API shape. Declared operations are added on top, or replace a
/// predefined one of the same name, so an API that differs is adapted in configuration.
/// </summary>
public static class DomainConnectors
{
    /// <summary>CRM: <c>get-record</c> (GET /records/{id}) and <c>update-record</c> (PATCH /records/{id} with <c>fields</c>, verified by reading the record back).</summary>
    public static HttpConnectorOptions Crm(HttpConnectorOptions declared) => With(declared, new()
    {
        ["get-record"] = new() { Method = "GET", Path = "/records/{input.id}", Output = { ["id"] = "id", ["fields"] = "fields" } },
        ["update-record"] = new()
        {
            Method = "PATCH",
            Path = "/records/{input.id}",
            Body = """{"fields": "{input.fields}"}""",
            Output = { ["id"] = "id" },
            Verify = "get-record",
            Expect = { ["fields"] = "{input.fields}" },
        },
    });

    /// <summary>Payments: <c>charge</c> (POST /charges) and <c>refund</c> (POST /refunds), each verified by reading the charge or refund back by id.</summary>
    public static HttpConnectorOptions Payments(HttpConnectorOptions declared) => With(declared, new()
    {
        ["charge"] = new()
        {
            Method = "POST",
            Path = "/charges",
            Body = """{"amount": "{input.amount}", "currency": "{input.currency}", "customer": "{input.customer}"}""",
            Output = { ["id"] = "id", ["status"] = "status" },
            Verify = "get-charge",
            Expect = { ["amount"] = "{input.amount}", ["status"] = "succeeded" },
        },
        ["get-charge"] = new() { Method = "GET", Path = "/charges/{output.id}", Output = { ["amount"] = "amount", ["status"] = "status" } },
        ["refund"] = new()
        {
            Method = "POST",
            Path = "/refunds",
            Body = """{"charge": "{input.charge}", "amount": "{input.amount}"}""",
            Output = { ["id"] = "id", ["status"] = "status" },
            Verify = "get-refund",
            Expect = { ["amount"] = "{input.amount}" },
        },
        ["get-refund"] = new() { Method = "GET", Path = "/refunds/{output.id}", Output = { ["amount"] = "amount" } },
    });

    /// <summary>Messaging: <c>post</c> (POST to the chat's incoming-webhook URL, the base URL itself, with <c>text</c>).</summary>
    public static HttpConnectorOptions Messaging(HttpConnectorOptions declared) => With(declared, new()
    {
        ["post"] = new() { Method = "POST", Path = "", Body = """{"text": "{input.text}"}""" },
    });

    private static HttpConnectorOptions With(HttpConnectorOptions declared, Dictionary<string, HttpOperation> predefined)
    {
        ArgumentNullException.ThrowIfNull(declared);
        foreach (var (name, operation) in declared.Operations)
        {
            predefined[name] = operation;
        }

        return new HttpConnectorOptions
        {
            Kind = declared.Kind,
            BaseUrl = declared.BaseUrl,
            Headers = declared.Headers,
            BearerTokenVariable = declared.BearerTokenVariable,
            Operations = predefined,
            Failures = declared.Failures,
            Policy = declared.Policy,
        };
    }
}
