using Distributed.Core.Models;
using Distributed.Onnx;

namespace Distributed.Coordinator.Cli;

/// <summary>`train --export-onnx FILE`: checked before training, written after it.</summary>
internal static class OnnxFile
{
    /// <summary>Refuses a path whose folder does not exist now, rather than after the training it would throw away.</summary>
    public static string? Checked(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        return folder is null || Directory.Exists(folder)
            ? path
            : throw new UsageException($"--export-onnx {path}: the folder {folder} does not exist");
    }

    public static void Export(Model model, string path, TextWriter output)
    {
        OnnxExport.Write(model, path);
        output.WriteLine($"onnx: {path} (opset {OnnxExport.Opset}, {model.Parameters.Count:N0} parameters)");
    }
}
