using MineIngest.LocalHost;

await LocalHostApp.Build(args).RunAsync();
