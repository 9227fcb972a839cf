namespace MineIngest.LocalHost;

/// <summary>
/// For a loop that keeps trying while storage is away: one warning when it starts failing, one when it works again,
/// instead of a stack trace on every try.
/// </summary>
public sealed class OutageLog(ILogger logger, string loop)
{
    private DateTimeOffset? _failingSince;

    public void Failed(Exception error)
    {
        if (_failingSince is not null) return;
        _failingSince = DateTimeOffset.UtcNow;
        logger.LogWarning(error, "{Loop}: storage does not answer; trying again until it does", loop);
    }

    public void Succeeded()
    {
        if (_failingSince is not { } since) return;
        _failingSince = null;
        logger.LogWarning("{Loop}: storage answers again after {Seconds:0} s", loop, (DateTimeOffset.UtcNow - since).TotalSeconds);
    }
}
