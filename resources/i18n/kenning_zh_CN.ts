<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
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
        <source>Enter opens in your editor · Ctrl+Enter shows it in the file manager · Alt+Right shows more hits of a file · Ctrl+Shift+C copies path:line · Up in the empty box recalls recent searches · Esc hides</source>
        <translation>Enter 在编辑器中打开 · Ctrl+Enter 在文件管理器中显示 · Alt+→ 展开同一文件的更多结果 · Ctrl+Shift+C 复制 路径:行号 · 在空白搜索框中按 ↑ 调出最近的搜索 · Esc 隐藏</translation>
    </message>
    <message>
        <source>Narrow it down as you type: path:src/*.py  lang:go  kind:code or kind:text  "exact phrase"  -word</source>
        <translation>输入时可缩小范围：path:src/*.py  lang:go  kind:code 或 kind:text  "精确短语"  -排除词</translation>
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
        <source>Qwen3-Embedding-0.6B — best results, downloaded once (about 1.2 GB)</source>
        <translation>Qwen3-Embedding-0.6B——效果最好，只需下载一次（约 1.2 GB）</translation>
    </message>
    <message>
        <source>Bundled small model (all-MiniLM-L6-v2) — works offline, English-centred</source>
        <translation>内置小模型（all-MiniLM-L6-v2）——可离线使用，以英文为主</translation>
    </message>
    <message>
        <source>A model folder on this computer (any sentence-transformers model)</source>
        <translation>本机上的模型文件夹（任意 sentence-transformers 模型）</translation>
    </message>
    <message>
        <source>An OpenAI-compatible embedding server (SGLang, vLLM, TEI…)</source>
        <translation>兼容 OpenAI 的向量服务（SGLang、vLLM、TEI…）</translation>
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
        <source>Server URL</source>
        <translation>服务地址</translation>
    </message>
    <message>
        <source>Server model</source>
        <translation>服务端模型</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Embedding dimension</source>
        <translation>向量维度</translation>
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
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
</context>
</TS>