using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using MineIngest.Functions;
using MineIngest.Pipeline;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddMineIngest(builder.Configuration);
builder.Services.AddMineIngestTelemetry(builder.Configuration);
builder.Build().Run();
