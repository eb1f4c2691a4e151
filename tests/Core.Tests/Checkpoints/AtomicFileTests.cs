using Distributed.Core.Checkpoints;
using Distributed.Tests.Shared;

namespace Distributed.Core.Tests.Checkpoints;

public class AtomicFileTests
{
    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var temp = new TempDirectory();
        var target = temp.File("model.bin");
        File.WriteAllText(target, "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(target, s =>
        {
            s.Write(new byte[1000]);
            throw new IOException("No space left on device");
        }));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void ALinkPlantedAtTheTargetIsReplacedNotWrittenThrough()
    {
        using var temp = new TempDirectory();
        var victim = temp.File("victim");
        File.WriteAllText(victim, "precious");
        var target = temp.File("model.bin");
        File.CreateSymbolicLink(target, victim);

        // The old code wrote "model.bin.tmp", which another user could plant as a link; the temporary name is now
        // random and created exclusively, and the rename replaces the link itself.
        File.CreateSymbolicLink(target + ".tmp", victim);
        AtomicFile.WriteAllText(target, "new");

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Null(new FileInfo(target).LinkTarget);
    }

    [Fact]
    public void AnUnwritableTargetIsReportedInOneLineBeforeAnythingRuns()
    {
        using var temp = new TempDirectory();

        // A file where a directory must go cannot be written even by root, which ignores permission bits.
        var file = temp.File("plain");
        File.WriteAllText(file, "");
        var under = Path.Combine(file, "out.json");
        var error = Assert.Throws<IOException>(() => AtomicFile.CheckWritable(under, "--json"));
        Assert.StartsWith($"--json {under} cannot be written:", error.Message);
        Assert.DoesNotContain('\n', error.Message);

        var directory = Assert.Throws<IOException>(() => AtomicFile.CheckWritable(temp.Path, "--save"));
        Assert.Equal($"--save {temp.Path} is a directory", directory.Message);
        AtomicFile.CheckWritable(temp.File("new/dir/model.bin"), "--save");
        Assert.Empty(Directory.GetFiles(temp.File("new/dir")));
    }
}
