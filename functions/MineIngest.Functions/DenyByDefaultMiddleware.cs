using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using MineIngest.Pipeline.Api;

namespace MineIngest.Functions;

/// <summary>
/// The worker's twin of the local host's refusal by default: an HTTP function runs only if its route is in
/// <see cref="RouteTable"/> and the caller meets the route's rule; otherwise the refusal is the answer.
/// </summary>
public sealed class DenyByDefaultMiddleware(DenyByDefault deny) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is { } http && await deny.RefusalAsync(http) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }
        await next(context);
    }
}
