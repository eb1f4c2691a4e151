namespace Distributed.Core.Data;

/// <summary>Writes a CIFAR-10 binary batch that <see cref="Cifar10Reader"/> reads, e.g. to convert or subset data.</summary>
public static class Cifar10Writer
{
    /// <param name="labels">One byte per image. Any byte is written: the reader, not the writer, enforces 0–9.</param>
    /// <param name="pixels">Per image 3,072 bytes: the 32×32 red plane, then green, then blue, each row-major.</param>
    public static void Write(string path, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> pixels)
    {
        if ((long)labels.Length * Cifar10Reader.ImageBytes != pixels.Length)
        {
            throw new ArgumentException(
                $"{labels.Length} images need {(long)labels.Length * Cifar10Reader.ImageBytes} pixel bytes, got {pixels.Length}", nameof(pixels));
        }

        using var file = File.Create(path);
        for (var i = 0; i < labels.Length; i++)
        {
            file.WriteByte(labels[i]);
            file.Write(pixels.Slice(i * Cifar10Reader.ImageBytes, Cifar10Reader.ImageBytes));
        }
    }
}
