-- pandoc filter for the man pages: a table in docs/*.md (option | short | default | notes)
-- becomes a definition list, which fits a terminal's width where a wide table does not.
-- Each row: the first cell is the term; the other cells follow as "heading: cell" parts.
local function cell_inlines(cell)
  return pandoc.utils.blocks_to_inlines(cell.contents)
end

function Table(tbl)
  local headings = {}
  if #tbl.head.rows > 0 then
    for i, cell in ipairs(tbl.head.rows[1].cells) do
      headings[i] = pandoc.utils.stringify(cell.contents)
    end
  end
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local term = cell_inlines(row.cells[1])
      local parts = pandoc.List()
      for i = 2, #row.cells do
        local text = cell_inlines(row.cells[i])
        if #text > 0 then
          if #parts > 0 then parts:insert(pandoc.Str(";")); parts:insert(pandoc.Space()) end
          if headings[i] and headings[i] ~= "" then
            parts:insert(pandoc.Emph({pandoc.Str(headings[i] .. ":")}))
            parts:insert(pandoc.Space())
          end
          parts:extend(text)
        end
      end
      table.insert(items, {term, {pandoc.Plain(parts)}})
    end
  end
  return pandoc.DefinitionList(items)
end
