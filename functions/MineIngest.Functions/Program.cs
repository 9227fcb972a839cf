using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MineIngest.Functions;
using MineIngest.Pipeline;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// The headers of every answer and the pages' Content-Security-Policy, as on the local host (Pipeline's SecurityHeaders).
builder.UseMiddleware<SecurityHeadersMiddleware>();
// Refusal by default: an HTTP function whose route has no rule in Pipeline's RouteTable is refused before it runs.
builder.UseMiddleware<DenyByDefaultMiddleware>();
builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.AddServerHeader = false);
builder.Services.AddMineIngest(builder.Configuration);
builder.Services.AddMineIngestTelemetry(builder.Configuration);
builder.Build().Run();
