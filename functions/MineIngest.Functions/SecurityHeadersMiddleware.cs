using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using MineIngest.Pipeline.Api;

namespace MineIngest.Functions;

/// <summary>The worker's twin of the local host's middleware: every HTTP answer gets <see cref="SecurityHeaders"/>.</summary>
public sealed class SecurityHeadersMiddleware(SecurityHeaders headers) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is { } http) headers.Apply(http);
        return next(context);
    }
}
