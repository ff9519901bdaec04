
"use strict";
(() => {
  const dataNode = document.getElementById("audit-data");
  let data = null;
  const pairData = (key) => {
    if (data === null) data = JSON.parse(dataNode.textContent);
    return data.pairs[key];
  };
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // The file tables (changed files; identical ones, folded): each sorts by a column, one filter reads both.
  const tables = Array.from(document.querySelectorAll("table.files"));
  const allRows = [];
  const searchText = new Map();
  tables.forEach((table) => {
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.forEach((row, index) => {
      row.dataset.order = String(index);
      allRows.push(row);
      searchText.set(row, [0, 1, 2].map((column) => row.cells[column].dataset.v).join(" ").toLowerCase());
    });
    const headers = Array.from(table.tHead.rows[0].cells);
    const sortBy = (header) => {
      const column = headers.indexOf(header);
      const numeric = header.dataset.type === "number";
      const ascending = header.getAttribute("aria-sort") !== "ascending";
      const keyed = rows.map((row) => {
        const cell = row.cells[column];
        const text = cell.dataset.s !== undefined ? cell.dataset.s : cell.dataset.v;
        return [text === "" ? null : (numeric ? Number(text) : text), Number(row.dataset.order), row];
      });
      const compare = ([x, xOrder], [y, yOrder]) => {
        if (x === null || y === null) return x === y ? xOrder - yOrder : (x === null ? 1 : -1);  // no value: last
        let order = x < y ? -1 : (x > y ? 1 : 0);
        if (!ascending) order = -order;
        return order || xOrder - yOrder;
      };
      const fragment = document.createDocumentFragment();
      keyed.sort(compare).forEach((item) => fragment.appendChild(item[2]));
      body.appendChild(fragment);
      headers.forEach((other) => other.removeAttribute("aria-sort"));
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    };
    headers.forEach((header) => {
      header.querySelector("button").addEventListener("click", () => sortBy(header));
    });
  });
  const filter = document.getElementById("file-filter");
  const kind = document.getElementById("kind-filter");
  const count = document.getElementById("file-count");
  const folded = document.getElementById("identical-files");
  if (filter && kind && count) {
    const apply = () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      let shownFolded = 0;
      allRows.forEach((row) => {
        const visible = (!kind.value || row.dataset.kind === kind.value)
          && words.every((word) => searchText.get(row).includes(word));
        if (row.hidden === visible) row.hidden = !visible;
        if (visible) {
          shown += 1;
          if (folded && folded.contains(row)) shownFolded += 1;
        }
      });
      // A filter that finds identical files unfolds them, so what it found is seen.
      if (folded && shownFolded && (words.length || kind.value)) folded.open = true;
      count.textContent = shown.toLocaleString("en") + " of " + allRows.length.toLocaleString("en") + " files";
    };
    let pending = 0;
    filter.addEventListener("input", () => {  // a large table re-lays out slowly: wait for a pause in typing
      clearTimeout(pending);
      if (allRows.length > 500) pending = setTimeout(apply, 150);
      else apply();
    });
    kind.addEventListener("change", apply);
  }

  // Pairs: the side-by-side view is built the first time a pair is opened.
  const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
  const tokenPattern = (names) => {
    const unique = Array.from(new Set(names.filter(Boolean)));
    if (!unique.length) return null;
    unique.sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
    const word = "[\\p{L}\\p{N}_$]";
    return new RegExp("(?<!" + word + ")(?:" + unique.map(escapeRegExp).join("|") + ")(?!" + word + ")", "gu");
  };
  const fillCode = (cell, text, pattern, titles) => {
    if (!pattern) { cell.textContent = text; return; }
    let last = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (match.index > last) cell.appendChild(document.createTextNode(text.slice(last, match.index)));
      const mark = element("mark", "rn", match[0]);
      mark.title = titles.get(match[0]);
      cell.appendChild(mark);
      last = match.index + match[0].length;
    }
    if (last < text.length) cell.appendChild(document.createTextNode(text.slice(last)));
  };
  const marks = (ranges, count) => {
    const copied = new Uint8Array(count + 2);
    ranges.forEach(([first, last]) => {
      for (let line = first; line <= Math.min(last, count); line += 1) copied[line] = 1;
    });
    return copied;
  };
  // Rows [fork line or null, upstream line or null] for two runs of lines: a longest common
  // subsequence of their keys faces each other, the lines between matches run side by side.
  const alignRows = (forkSpan, upstreamSpan, forkKeys, upstreamKeys) => {
    let head = 0;
    while (head < forkKeys.length && head < upstreamKeys.length && forkKeys[head] === upstreamKeys[head]) head += 1;
    let forkEnd = forkKeys.length, upstreamEnd = upstreamKeys.length;
    while (forkEnd > head && upstreamEnd > head && forkKeys[forkEnd - 1] === upstreamKeys[upstreamEnd - 1]) {
      forkEnd -= 1;
      upstreamEnd -= 1;
    }
    const matches = [];
    for (let index = 0; index < head; index += 1) matches.push([index, index]);
    const n = forkEnd - head, m = upstreamEnd - head;
    if (n > 0 && m > 0 && n * m <= 4100000) {
      const width = m + 1;
      const table = new Uint16Array((n + 1) * width);
      for (let i = n - 1; i >= 0; i -= 1) {
        for (let j = m - 1; j >= 0; j -= 1) {
          table[i * width + j] = forkKeys[head + i] === upstreamKeys[head + j]
            ? table[(i + 1) * width + j + 1] + 1
            : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
        }
      }
      for (let i = 0, j = 0; i < n && j < m;) {
        if (forkKeys[head + i] === upstreamKeys[head + j]) { matches.push([head + i, head + j]); i += 1; j += 1; }
        else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) i += 1;
        else j += 1;
      }
    }
    for (let index = 0; index < forkKeys.length - forkEnd; index += 1) {
      matches.push([forkEnd + index, upstreamEnd + index]);
    }
    matches.push([forkKeys.length, upstreamKeys.length]);  // the end, as a match past both runs
    const rows = [];
    let fork = 0, upstream = 0;
    matches.forEach(([forkMatch, upstreamMatch]) => {
      while (fork < forkMatch || upstream < upstreamMatch) {
        rows.push([fork < forkMatch ? forkSpan[fork] : null, upstream < upstreamMatch ? upstreamSpan[upstream] : null]);
        if (fork < forkMatch) fork += 1;
        if (upstream < upstreamMatch) upstream += 1;
      }
      if (forkMatch < forkKeys.length) rows.push([forkSpan[forkMatch], upstreamSpan[upstreamMatch]]);
      fork = forkMatch + 1;
      upstream = upstreamMatch + 1;
    });
    return rows;
  };
  const sideNote = (label, lines, total) => {
    if (lines === null) return label + " file not included in this report.";
    if (total > lines.length) {
      return label + " file: the first " + lines.length.toLocaleString("en") + " of " + total.toLocaleString("en")
        + " lines are shown.";
    }
    return "";
  };
  const formatRanges = (ranges) => ranges.map(([first, last]) => (first === last ? String(first) : first + "–" + last))
    .join(", ") || "—";
  const renderMeta = (pair) => {
    const list = element("dl", "meta");
    const add = (term, content) => {
      list.appendChild(element("dt", "", term));
      const value = element("dd");
      if (typeof content === "string") value.textContent = content;
      else value.appendChild(content);
      list.appendChild(value);
      return value;
    };
    const bullets = (items, make) => {
      const bulleted = element("ul", "items");
      items.forEach((item) => bulleted.appendChild(make(item)));
      return bulleted;
    };
    add("moved", pair.moved ? "yes" : "no");
    const license = pair.upstream_license || "its upstream's license";
    if (!pair.change_notice_owed) {
      add("change notice", "not owed: the file is identical, not code, or taken from code whose license asks for none")
        .className = "cn-none";
    } else {
      add("change notice", pair.change_notice ? "yes: modified from " + license + " code, and it says it was changed"
        : "missing: modified from " + license + " code, and nothing says it was changed").className =
        pair.change_notice ? "cn-yes" : "cn-no";
    }
    add("owes the upstream", pair.owed.length ? pair.owed.join(", ") + " (see Obligations)" : "nothing");
    add("copied lines", "fork " + formatRanges(pair.lines) + "; upstream " + formatRanges(pair.upstream_lines));
    if (pair.renames.length) {
      const renames = element("table", "renames");
      const head = renames.createTHead().insertRow();
      ["upstream", "", "fork", "uses"].forEach((label) => head.appendChild(element("th", "", label)));
      const body = renames.createTBody();
      pair.renames.forEach(([from, to, count]) => {
        const row = body.insertRow();
        row.insertCell().appendChild(element("code", "from", from));
        row.insertCell().textContent = "→";
        row.insertCell().appendChild(element("code", "to", to));
        const uses = row.insertCell();
        uses.className = "num";
        uses.textContent = count === null ? "" : "×" + count;
      });
      add("renamed identifiers", renames);
    } else add("renamed identifiers", "none");
    add("stripped notices", pair.stripped_notices.length
      ? bullets(pair.stripped_notices, (notice) => {
        const item = element("li");
        item.appendChild(element("code", "", notice));
        return item;
      })
      : "none");
    if (pair.also_from.length) {
      add("also took code from", bullets(pair.also_from, ([path, share]) => {
        const item = element("li");
        item.appendChild(element("code", "", path));
        item.appendChild(document.createTextNode(" (" + share + ")"));
        return item;
      }));
    }
    if (pair.split_with.length) {
      add("split with", bullets(pair.split_with, (path) => {
        const item = element("li");
        item.appendChild(element("code", "", path));
        return item;
      }));
    }
    if (pair.commits.length) {
      add("commits since the merge base", bullets(pair.commits, ([sha, date, author, summary]) => {
        const item = element("li");
        const code = element("code", "", sha.slice(0, 12));
        code.title = sha;
        item.appendChild(code);
        item.appendChild(document.createTextNode(" " + [date, author].filter(Boolean).join(" ") + ": " + summary));
        return item;
      }));
    }
    return list;
  };
  const renderPair = (details) => {
    const view = details.querySelector(".pair-view");
    if (!view || view.dataset.state !== "empty") return;
    const pair = pairData(details.dataset.pair);
    if (!pair) return;
    view.dataset.state = "rendered";
    const forkLines = pair.fork || [];
    const upstreamLines = pair.upstream || [];
    const forkTitles = new Map(pair.renames.map(([from, to]) => [to, "renamed from " + from]));
    const upstreamTitles = new Map(pair.renames.map(([from, to]) => [from, "renamed to " + to]));
    const forkPattern = tokenPattern(pair.renames.map((item) => item[1]));
    const upstreamPattern = tokenPattern(pair.renames.map((item) => item[0]));
    const forkCopied = marks(pair.lines, forkLines.length);
    const upstreamCopied = marks(pair.upstream_lines, upstreamLines.length);

    const notes = [
      sideNote("Fork", pair.fork, pair.fork_total), sideNote("Upstream", pair.upstream, pair.upstream_total),
    ].filter(Boolean);
    const parent = view.parentNode;
    parent.insertBefore(renderMeta(pair), view);
    if (notes.length) {
      const note = element("p", "pair-notes", notes.join(" "));
      parent.insertBefore(note, view);
    }
    const codeTable = element("table", "code");
    const columns = document.createElement("colgroup");
    ["ln", "src", "ln", "src"].forEach((name) => {
      const col = document.createElement("col");
      col.className = name;
      columns.appendChild(col);
    });
    codeTable.appendChild(columns);
    const head = codeTable.createTHead().insertRow();
    const summaryCodes = details.querySelectorAll("summary code");
    [["fork", 0], ["upstream", 1]].forEach(([label, index]) => {
      const cell = element("th", "", label + ": " + (summaryCodes[index] ? summaryCodes[index].textContent : ""));
      cell.colSpan = 2;
      head.appendChild(cell);
    });
    const tbody = codeTable.createTBody();
    const addCells = (row, lines, number, copied, pattern, titles, right) => {
      if (number !== null) {
        const isCopied = copied[number] === 1;
        row.appendChild(element("td", "ln" + (isCopied ? " copied" : ""), String(number)));
        const cell = element("td", "src" + (right ? " right" : "") + (isCopied ? " copied" : ""));
        fillCode(cell, lines[number - 1], pattern, titles);
        row.appendChild(cell);
      } else {
        row.appendChild(element("td", "ln blank"));
        row.appendChild(element("td", "src blank" + (right ? " right" : "")));
      }
    };
    // Within each block, lines that are the same once renamed and stripped of white space face each other.
    const forkName = new Map(pair.renames.map(([from, to]) => [from, to]));
    const forkKey = (line) => line.replace(/\s+/g, "");
    const upstreamKey = (line) => forkKey(
      upstreamPattern ? line.replace(upstreamPattern, (name) => forkName.get(name)) : line,
    );
    const regions = element("p", "regions", "Copied regions: ");
    pair.segments.forEach(([forkFirst, forkLast, upFirst, upLast, region]) => {
      const forkSpan = [], upstreamSpan = [];
      for (let line = forkFirst; line <= Math.min(forkLast, forkLines.length); line += 1) forkSpan.push(line);
      for (let line = upFirst; line <= Math.min(upLast, upstreamLines.length); line += 1) upstreamSpan.push(line);
      const rows = alignRows(
        forkSpan, upstreamSpan, forkSpan.map((line) => forkKey(forkLines[line - 1])),
        upstreamSpan.map((line) => upstreamKey(upstreamLines[line - 1])),
      );
      rows.forEach(([forkLine, upstreamLine], index) => {
        const row = tbody.insertRow();
        addCells(row, forkLines, forkLine, forkCopied, forkPattern, forkTitles, false);
        addCells(row, upstreamLines, upstreamLine, upstreamCopied, upstreamPattern, upstreamTitles, true);
        if (index === 0 && region) {
          const label = "fork " + forkFirst + "–" + forkLast + " ⇄ upstream " + upFirst + "–" + upLast;
          const button = element("button", "", label);
          button.type = "button";
          button.addEventListener("click", () => {
            const offset = row.getBoundingClientRect().top - view.getBoundingClientRect().top;
            view.scrollTop += offset - codeTable.tHead.offsetHeight;
          });
          regions.appendChild(button);
        }
      });
    });
    if (regions.childElementCount > 0) parent.insertBefore(regions, view);
    view.appendChild(codeTable);
  };
  document.addEventListener("toggle", (event) => {
    const target = event.target;
    if (target instanceof HTMLDetailsElement && target.classList.contains("pair") && target.open) renderPair(target);
  }, true);
  const openFromHash = () => {
    const id = location.hash.slice(1);
    if (!/^pair-\d+$/.test(id)) return;
    const details = document.getElementById(id);
    if (!details) return;
    renderPair(details);
    details.open = true;
    // An identical pair sits in a folded section: unfold it too.
    for (let outer = details.parentElement; outer; outer = outer.parentElement) {
      if (outer instanceof HTMLDetailsElement) outer.open = true;
    }
    details.scrollIntoView();
  };
  window.addEventListener("hashchange", openFromHash);
  openFromHash();
})();
