using Altinn.Events.Cli;

return await CliApp.RunAsync(args);
