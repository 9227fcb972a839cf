using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The rule behind every view answer's freshness, without storage: refreshes are shared, none is older than asked,
/// and a failure answers only those who asked before it began.
/// </summary>
public sealed class CoalescedRefreshTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A refresh whose every run waits until the test lets it end (or fail), counting the runs.</summary>
    private sealed class HeldRefresh
    {
        private readonly List<TaskCompletionSource> _runs = [];
        public int Starts
        {
            get { lock (_runs) return _runs.Count; }
        }

        public Task RunAsync()
        {
            var run = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_runs) _runs.Add(run);
            return run.Task;
        }

        public async Task EndAsync(int index, Exception? error = null)
        {
            await WaitForRunsAsync(index + 1);
            TaskCompletionSource run;
            lock (_runs) run = _runs[index];
            if (error is null) run.SetResult();
            else run.SetException(error);
        }

        public async Task WaitForRunsAsync(int count)
        {
            for (var i = 0; i < 500; i++)
            {
                lock (_runs) if (_runs.Count >= count) return;
                await Task.Delay(10);
            }
            throw new TimeoutException($"{count} refreshes expected, {Starts} started.");
        }
    }

    [Fact]
    public async Task Concurrent_callers_share_one_refresh_and_a_later_caller_gets_the_next_one()
    {
        var clock = new ManualClock();
        var held = new HeldRefresh();
        var refresh = new CoalescedRefresh(held.RunAsync, clock);

        var first = refresh.EnsureAsync(clock.Now);
        var second = refresh.EnsureAsync(clock.Now - TimeSpan.FromSeconds(1));
        await held.WaitForRunsAsync(1);
        clock.Now += TimeSpan.FromSeconds(1);
        // Arrived after the running refresh began: that one is too early for it.
        var third = refresh.EnsureAsync(clock.Now);
        var fourth = refresh.EnsureAsync(clock.Now);

        await held.EndAsync(0);
        await Task.WhenAll(first, second);
        Assert.False(third.IsCompleted);
        await held.EndAsync(1);
        await Task.WhenAll(third, fourth);

        Assert.Equal(2, held.Starts);
        Assert.Equal(clock.Now, refresh.CheckedAt);
        // Checked at or after what is asked: answered at once, no refresh.
        Assert.True(refresh.EnsureAsync(clock.Now - TimeSpan.FromSeconds(5)).IsCompletedSuccessfully);
        Assert.Equal(2, held.Starts);
    }

    [Fact]
    public async Task A_failure_answers_those_who_asked_before_it_began_and_a_later_caller_tries_again()
    {
        var clock = new ManualClock();
        var held = new HeldRefresh();
        var refresh = new CoalescedRefresh(held.RunAsync, clock);

        var asked = refresh.EnsureAsync(clock.Now);
        await held.EndAsync(0, new InvalidOperationException("storage away"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => asked);

        // Asked before that failed try began: its failure is the answer, storage is not asked again at once.
        await Assert.ThrowsAsync<InvalidOperationException>(() => refresh.EnsureAsync(clock.Now - TimeSpan.FromSeconds(1)));
        Assert.Equal(1, held.Starts);
        Assert.Null(refresh.CheckedAt);

        clock.Now += TimeSpan.FromSeconds(2);
        var again = refresh.EnsureAsync(clock.Now);
        await held.EndAsync(1);
        await again;
        Assert.Equal(2, held.Starts);
        Assert.Equal(clock.Now, refresh.CheckedAt);
    }
}
