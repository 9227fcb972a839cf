using MineIngest.Pipeline.Telemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MineIngest.LocalHost;

/// <summary>
/// The local host sends the same spans, metrics and logs as the Functions worker, over OTLP, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (any OTLP receiver: a collector, Jaeger, Aspire's dashboard), and nothing
/// otherwise. The exporter honours the standard variables: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (grpc or http/protobuf),
/// <c>OTEL_METRIC_EXPORT_INTERVAL</c>, <c>OTEL_SERVICE_NAME</c> (default mineingest-local), <c>OTEL_RESOURCE_ATTRIBUTES</c>.
/// </summary>
public static class LocalTelemetry
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void AddOtlpWhenConfigured(WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointVariable])) return;
        var named = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => { if (!named) resource.AddService("mineingest-local"); })
            .WithTracing(tracing => tracing.AddSource(PipelineTelemetry.Name).AddOtlpExporter())
            .WithMetrics(metrics => metrics.AddMeter(PipelineTelemetry.Name).AddOtlpExporter())
            .WithLogging(logging => logging.AddOtlpExporter());
    }
}
