using MineIngest.Domain;
using MineIngest.Domain.Reading;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline;

public static class ServiceCollectionExtensions
{
    /// <summary>The option classes bound from configuration, by section: what the deployment must set (checked by a test).</summary>
    public static IReadOnlyList<(string Section, Type Options)> BoundOptions { get; } =
    [
        (PipelineOptions.Section, typeof(PipelineOptions)),
        (SurveyLimits.Section, typeof(SurveyLimits)),
        (ScoringOptions.Section, typeof(ScoringOptions)),
        (UploadOptions.Section, typeof(UploadOptions)),
        (SignInOptions.Section, typeof(SignInOptions)),
        (Backup.BackupOptions.Section, typeof(Backup.BackupOptions)),
        (RateLimitOptions.Section, typeof(RateLimitOptions)),
        (Events.EventOptions.Section, typeof(Events.EventOptions)),
        (Field.FieldOptions.Section, typeof(Field.FieldOptions)),
    ];

    /// <summary>Everything the pipeline needs, for the Functions app and the local host alike.</summary>
    public static IServiceCollection AddMineIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PipelineOptions>().Bind(configuration.GetSection(PipelineOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SurveyLimits>().Bind(configuration.GetSection(SurveyLimits.Section))
            .Validate(l => l.MaxFileBytes > 0 && l.MaxUncompressedBytes > 0 && l.MaxRows > 0, "Survey limits must be positive.")
            .ValidateOnStart();
        services.AddOptions<UploadOptions>().Bind(configuration.GetSection(UploadOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ScoringOptions>().Bind(configuration.GetSection(ScoringOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScoringOptions>, ScoringOptionsValidator>();
        services.AddOptions<Events.EventOptions>().Bind(configuration.GetSection(Events.EventOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Backup.BackupOptions>().Bind(configuration.GetSection(Backup.BackupOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Container), "Backup:Container must name a container.").ValidateOnStart();
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Field.FieldOptions>().Bind(configuration.GetSection(Field.FieldOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSignIn(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(ReferenceData.Default);
        services.AddSingleton(sp => new RevivalScorer(sp.GetRequiredService<IOptions<ScoringOptions>>().Value, sp.GetRequiredService<ReferenceData>()));
        services.AddSingleton<RowValidator>();
        services.AddSingleton<RowCheck>();
        services.TryAddSingleton<IMineScoring, MineScoring>();
        services.TryAddSingleton(_ => StorageClients.FromConfiguration(configuration));
        services.AddPipeline(configuration);
        services.AddApi();
        services.AddHostedService<StorageInitializer>();
        return services;
    }

    /// <summary>The moving parts, in the order a survey meets them: ingestion, scoring, events, the view, the office's work, backups, health.</summary>
    private static void AddPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<WorkClaims>();
        services.AddSingleton<ProvinceKeyStore>();
        services.AddSingleton<UploadSasIssuer>();
        services.AddSingleton<Events.EventPublisher>();
        services.AddSingleton<ChunkStaging>();
        services.AddSingleton<SurveyIngestor>();
        services.AddSingleton<StalledSurveys>();
        services.AddSingleton<SurveyTotals>();
        services.AddSingleton<MineWriter>();
        services.AddSingleton<ChunkProcessor>();
        services.AddSingleton<SurveySweep>();
        services.AddSingleton<ReportRetention>();
        services.AddSingleton<ViewSnapshotStore>();
        services.AddSingleton<MineView>();
        services.AddSingleton<ViewReader>();
        services.AddSingleton<ViewRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<ViewRefresher>());
        services.AddSingleton<ScoringFingerprint>();
        services.AddSingleton<Rescoring>();
        services.AddHostedService<RescoreOnStart>();
        services.AddSingleton<Withdrawals>();
        services.AddSingleton<WithdrawalPages>();
        services.AddSingleton<CommitteeStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<Field.PhotoStore>();
        services.AddSingleton(sp => Backup.BackupStore.From(sp.GetRequiredService<IOptions<Backup.BackupOptions>>(), sp.GetRequiredService<StorageClients>(), configuration));
        services.AddSingleton<Backup.BackupWriter>();
        services.AddSingleton<PipelineHealth>();
    }

    /// <summary>The HTTP API: one class per resource, and what every request passes (headers, the route table's rules, budgets).</summary>
    private static void AddApi(this IServiceCollection services)
    {
        // Problem details (Results.Problem) are written with the host's JSON options: Persian as text there too.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = ApiResults.TextEncoder);
        services.AddSingleton<SecurityHeaders>();
        services.AddSingleton<RouteTable>();
        services.AddSingleton<CallerBudgets>();
        services.AddSingleton<DenyByDefault>();
        services.AddSingleton<SummaryApi>();
        services.AddSingleton<MinesApi>();
        services.AddSingleton<SurveysApi>();
        services.AddSingleton<InvestorListApi>();
        services.AddSingleton<FilesApi>();
        services.AddSingleton<ProvinceApi>();
        services.AddSingleton<RowsToFixSource>();
        services.AddSingleton<ProgressReports>();
        services.AddSingleton<ReportApi>();
        services.AddSingleton<OfficeApi>();
        services.AddSingleton<AuditApi>();
        services.AddSingleton<KeysApi>();
        services.AddSingleton<BackupsApi>();
        services.AddSingleton<EventsApi>();
        services.AddSingleton<PhotosApi>();
        services.AddSingleton<CspReportsApi>();
        services.AddSingleton<HealthApi>();
    }

    /// <summary>
    /// Bearer tokens, checked by JwtBearer against the authority's published keys, issuer, audience and lifetime. The routes
    /// ask for the result themselves (<see cref="RouteAccess"/>), so the same code decides under either host.
    /// </summary>
    private static void AddSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SignInOptions>().Bind(configuration.GetSection(SignInOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.Problem() is null, "Sign-in is on but not configured: see SignIn in local.settings.sample.json.")
            // In Azure (App Service sets WEBSITE_INSTANCE_ID) every route but the public ones needs a signed-in caller.
            .Validate(o => o.Enabled || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID")),
                "SignIn:Enabled must be true in Azure: with it off the read routes are open to anyone.")
            .ValidateOnStart();
        services.AddAuthentication().AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<SignInOptions>>((jwt, signIn) =>
        {
            var o = signIn.Value;
            if (!o.Enabled) return;
            jwt.Authority = o.Authority;
            jwt.Audience = o.Audience;
            jwt.MapInboundClaims = false; // "roles", "oid" and "name" as the token has them
            jwt.TokenValidationParameters.NameClaimType = "name";
            jwt.TokenValidationParameters.RoleClaimType = "roles";
            jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(o.ClockSkewSeconds);
            if (o.TrustedCertificateFile is { Length: > 0 } file) jwt.BackchannelHttpHandler = PinnedCertificate.Handler(file);
        });
        services.AddSingleton<RouteAccess>();
    }

    private sealed class ScoringOptionsValidator : IValidateOptions<ScoringOptions>
    {
        public ValidateOptionsResult Validate(string? name, ScoringOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }

    /// <summary>
    /// Creates the containers, queues and tables on start (Azurite starts empty; in Azure they exist already). Storage
    /// that does not answer yet must not stop the host: the first sweep creates them once it does.
    /// </summary>
    private sealed class StorageInitializer(StorageClients storage, ILogger<StorageInitializer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            try
            {
                await storage.EnsureCreatedAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Storage does not answer at start; the containers, queues and tables are created when it does");
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
